package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.AdamaxKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adamax, Adam with the infinity norm, with optional weight decay: PyTorch's {@code torch.optim.Adamax}, bit
 * for bit equal to PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * clr = lr / (1 − β1^t). For each element, with p the parameter, g the gradient, m the {@code exp_avg}, u the
 * {@code exp_inf}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * u = max(rn(u · f(β2)), rn(|g| + f(eps)))     (NaN wins)
 * p = rn(p + rn(rn(f(−clr) · m) / u))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdamaxHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adamax extends AdamaxHyperParameters {
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_INF = "exp_inf";
    private static final List<String> STATE_NAMES = List.of(EXP_AVG, EXP_INF);
    private final UpdateKernel<AdamaxKernel.Coefficients> kernel;

    Adamax(Builder builder) {
        super(builder);
        kernel = Kernels.kernel(AdamaxKernel.FAMILY, vectorBits(),
                new AdamaxKernel.Flags(maximize(), weightDecay() != 0, semantics().lerp()));
    }

    /**
     * Applies step number {@code step} of Adamax to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param expAvg PyTorch's {@code exp_avg}, as many floats as param, updated in place
     * @param expInf PyTorch's {@code exp_inf}, as many floats as param, updated in place
     * @param step this step's number t, counting from 1: the bias correction uses it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expInf, long step) {
        StepChecks.required(expAvg, EXP_AVG, "");
        StepChecks.required(expInf, EXP_INF, "");
        long elements = StepChecks.elements(step, param, grad, EXP_AVG, expAvg, EXP_INF, expInf, null, null);
        stepTyped(step, elements, param, grad, expAvg, expInf, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdamaxKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdamaxKernel.Coefficients> prepare(double lr, long step, AdamaxKernel.Coefficients c) {
        double clr = lr / (1 - power(beta1(), step));
        c.weightDecay = (float) weightDecay();
        c.beta1 = (float) beta1();
        c.beta1Complement = (float) (1 - beta1());
        c.beta2 = (float) beta2();
        c.eps = (float) eps();
        c.negativeClr = (float) -clr;
        return kernel;
    }

    @Override
    public String name() {
        return "Adamax";
    }

    /** {@code [exp_avg, exp_inf]}. */
    @Override
    public List<String> stateNames() {
        return STATE_NAMES;
    }
}
