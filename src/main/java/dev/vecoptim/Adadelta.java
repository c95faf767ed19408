package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.AdadeltaKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adadelta with optional weight decay: PyTorch's {@code torch.optim.Adadelta}, bit for bit equal to PyTorch's
 * CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, acc the
 * {@code acc_delta}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − rho) · g), g, rn(sq · f(rho)))
 * std = rn(sqrt(rn(sq + f(eps))))
 * delta = rn(rn(rn(sqrt(rn(acc + f(eps)))) / std) · g)
 * acc = fma(rn(f(1 − rho) · delta), delta, rn(acc · f(rho)))
 * p = fma(delta, f(−lr), p)
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdadeltaHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adadelta extends AdadeltaHyperParameters {
    private static final String SQUARE_AVG = "square_avg";
    private static final String ACC_DELTA = "acc_delta";
    private static final List<String> STATE_NAMES = List.of(SQUARE_AVG, ACC_DELTA);
    private final UpdateKernel<AdadeltaKernel.Coefficients> kernel;

    Adadelta(Builder builder) {
        super(builder);
        kernel = Kernels.kernel(AdadeltaKernel.FAMILY, vectorBits(),
                new AdadeltaKernel.Flags(maximize(), weightDecay() != 0));
    }

    /**
     * Applies one Adadelta step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param squareAvg PyTorch's {@code square_avg}, as many floats as param, updated in place
     * @param accDelta PyTorch's {@code acc_delta}, as many floats as param, updated in place
     * @param step this step's number, counting from 1 (Adadelta's formula does not use it)
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment accDelta,
                     long step) {
        StepChecks.required(squareAvg, SQUARE_AVG, "");
        StepChecks.required(accDelta, ACC_DELTA, "");
        long elements = StepChecks.elements(step, param, grad, SQUARE_AVG, squareAvg, ACC_DELTA, accDelta, null, null);
        stepTyped(step, elements, param, grad, squareAvg, accDelta, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdadeltaKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdadeltaKernel.Coefficients> prepare(double lr, long step, AdadeltaKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay();
        c.rho = (float) rho();
        c.rhoComplement = (float) (1 - rho());
        c.eps = (float) eps();
        c.negativeLr = (float) -lr;
        return kernel;
    }

    @Override
    public String name() {
        return "Adadelta";
    }

    /** {@code [square_avg, acc_delta]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }
}
