package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RpropKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resilient backpropagation: PyTorch's {@code torch.optim.Rprop}, bit for bit equal to PyTorch's CPU result on
 * float32 (2.x and 1.13 give the same bits; see {@link Semantics}). Only the gradient's sign moves a parameter,
 * by a step size of its own that grows while the sign holds and shrinks when it flips.
 *
 * <p>For each element, with p the parameter, g the gradient, prev the {@code prev}, s the {@code step_size},
 * {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double x rounded to float:
 * <pre>
 * if maximize:  g = −g
 * on step 1:    prev = 0, s = f(lr)      (PyTorch creates them then, with the lr of that step)
 * c = rn(g · prev)
 * factor = f(etaplus) if c &gt; 0;  f(etaminus) if c &lt; 0;  1 if c is 0 or NaN, or if f(etaminus) is 0
 * s = rn(s · factor), then f(step_size_min) if s &lt; it, then f(step_size_max) if s &gt; it
 *                           (PyTorch's clamp: a step size of −0, from lr = −0.0, stays −0 against bounds of 0)
 * if factor = f(etaminus):  g = 0
 * prev = g
 * p = fma(−sign(g), s, p)     (sign(NaN) = 0: a NaN gradient leaves p as it is, and is kept in prev)
 * </pre>
 * The learning rate is used once, as every step size's start; changing it later changes nothing.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link RpropHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Rprop extends RpropHyperParameters {
    private static final String PREV = "prev";
    private static final String STEP_SIZE = "step_size";
    private static final List<String> STATE_NAMES = List.of(PREV, STEP_SIZE);
    private final UpdateKernel<RpropKernel.Coefficients> firstStepKernel;
    private final UpdateKernel<RpropKernel.Coefficients> kernel;

    Rprop(Builder builder) {
        super(builder);
        kernel = Kernels.kernel(RpropKernel.FAMILY, vectorBits(), new RpropKernel.Flags(maximize(), false));
        firstStepKernel = Kernels.kernel(RpropKernel.FAMILY, vectorBits(), new RpropKernel.Flags(maximize(), true));
    }

    /**
     * Applies step number {@code step} of Rprop to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param prev PyTorch's {@code prev}, as many floats as param, updated in place (not read on step 1)
     * @param stepSize PyTorch's {@code step_size}, as many floats as param, updated in place (not read on step 1,
     *     where every step size starts at lr)
     * @param step this step's number, counting from 1
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment prev, MemorySegment stepSize, long step) {
        StepChecks.required(prev, PREV, "");
        StepChecks.required(stepSize, STEP_SIZE, "");
        long elements = StepChecks.elements(step, param, grad, PREV, prev, STEP_SIZE, stepSize, null, null);
        stepTyped(step, elements, param, grad, prev, stepSize, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new RpropKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<RpropKernel.Coefficients> prepare(double lr, long step, RpropKernel.Coefficients c) {
        c.etaMinus = (float) etaMinus();
        c.etaPlus = (float) etaPlus();
        c.stepSizeMin = (float) stepSizeMin();
        c.stepSizeMax = (float) stepSizeMax();
        c.initialStepSize = (float) lr;
        return step == 1 ? firstStepKernel : kernel;
    }

    /** {@code step_size} starts at lr: what a parameter registered now would start from, were lr unchanged. */
    @Override
    float initialState(String name) {
        return name.equals(STEP_SIZE) ? (float) lr() : 0;
    }

    @Override
    public String name() {
        return "Rprop";
    }

    /** {@code [prev, step_size]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }
}
