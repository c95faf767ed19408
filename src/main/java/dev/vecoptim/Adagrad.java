package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.AdagradKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adagrad with optional learning-rate decay and weight decay: PyTorch's {@code torch.optim.Adagrad}, bit for
 * bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * clr = lr / (1 + (t − 1) · lr_decay). For each element, with p the parameter, g the
 * gradient, sum the {@code sum}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)}
 * the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sum = fma(g, g, sum)
 * std = rn(rn(sqrt(sum)) + f(eps))
 * p = rn(p + rn(rn(f(−clr) · g) / std))
 * </pre>
 * The {@code sum} starts at {@code f(initial_accumulator_value)}, as PyTorch's does.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdagradHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adagrad extends AdagradHyperParameters {
    private static final String SUM = "sum";
    private static final List<String> STATE_NAMES = List.of(SUM);
    private final UpdateKernel<AdagradKernel.Coefficients> kernel;

    Adagrad(Builder builder) {
        super(builder);
        kernel = Kernels.kernel(AdagradKernel.FAMILY, vectorBits(), new AdagradKernel.Flags(maximize(), weightDecay() != 0));
    }

    /**
     * Applies step number {@code step} of Adagrad to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param sum PyTorch's {@code sum}, as many floats as param, updated in place; start it at
     *     {@code f(initial_accumulator_value)}
     * @param step this step's number, counting from 1: the learning-rate decay uses it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment sum, long step) {
        StepChecks.required(sum, SUM, "");
        long elements = StepChecks.elements(step, param, grad, SUM, sum, null, null, null, null);
        stepTyped(step, elements, param, grad, sum, null, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdagradKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdagradKernel.Coefficients> prepare(double lr, long step, AdagradKernel.Coefficients c) {
        double clr = lr / (1 + (countedStep(step) - 1) * lrDecay());
        c.weightDecay = (float) weightDecay();
        c.eps = (float) eps();
        c.negativeClr = (float) -clr;
        return kernel;
    }

    @Override
    float initialState(String name) {
        return (float) initialAccumulatorValue();
    }

    @Override
    public String name() {
        return "Adagrad";
    }

    /** {@code [sum]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }
}
