package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.AdamKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam, with optional AMSGrad and either L2 weight decay (PyTorch's {@code torch.optim.Adam}) or decoupled
 * weight decay (PyTorch's {@code torch.optim.AdamW}, built with {@link #adamWBuilder()}), bit for bit equal
 * to PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * bc1 = 1 − β1^t, bc2 = 1 − β2^t, step_size = lr / bc1. For each element, with p the parameter, g the
 * gradient, m the {@code exp_avg}, v the {@code exp_avg_sq}, vmax the {@code max_exp_avg_sq}, {@code rn} one
 * rounding to float, {@code fma} one rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:               g = −g
 * if AdamW:                  p = rn(p · f(1 − lr · weight_decay))
 * else if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * if amsgrad:                vmax = max(vmax, v)   (NaN wins);  v̂ = vmax
 * else:                      v̂ = v
 * denom = rn(rn(rn(sqrt(v̂)) / f(sqrt(bc2))) + f(eps))
 * p = rn(p + rn(rn(f(−step_size) · m) / denom))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdamHyperParameters}. AdamW's builder
 * ({@link #adamWBuilder()}) starts weight_decay at 1e-2.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adam extends AdamHyperParameters {
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_AVG_SQ = "exp_avg_sq";
    private static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";
    private final List<String> stateNames;
    private final UpdateKernel<AdamKernel.Coefficients> kernel;

    Adam(Builder builder) {
        super(builder);
        stateNames = amsgrad() ? List.of(EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ) : List.of(EXP_AVG, EXP_AVG_SQ);
        kernel = Kernels.kernel(AdamKernel.FAMILY, vectorBits(), new AdamKernel.Flags(maximize(),
                WeightDecay.of(weightDecay(), decoupledWeightDecay()), amsgrad(), semantics().lerp()));
    }

    /**
     * Starts AdamW hyper-parameters at PyTorch's defaults ({@code torch.optim.AdamW}: weight_decay 1e-2).
     *
     * @return a new builder
     */
    public static Builder adamWBuilder() {
        return builder().decoupledWeightDecay(true).weightDecay(1e-2);
    }

    /**
     * Applies step number {@code step} of Adam to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param expAvg PyTorch's {@code exp_avg}, as many floats as param, updated in place
     * @param expAvgSq PyTorch's {@code exp_avg_sq}, as many floats as param, updated in place
     * @param maxExpAvgSq PyTorch's {@code max_exp_avg_sq}: needed with amsgrad, else neither read nor
     *     written (may be null)
     * @param step this step's number t, counting from 1: the bias corrections use it
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment expAvg, MemorySegment expAvgSq,
                     MemorySegment maxExpAvgSq, long step) {
        StepChecks.required(expAvg, EXP_AVG, "");
        StepChecks.required(expAvgSq, EXP_AVG_SQ, "");
        MemorySegment usedMax = amsgrad() ? StepChecks.required(maxExpAvgSq, MAX_EXP_AVG_SQ, " with amsgrad") : null;
        long elements = StepChecks.elements(step, param, grad, EXP_AVG, expAvg, EXP_AVG_SQ, expAvgSq,
                MAX_EXP_AVG_SQ, usedMax);
        stepTyped(step, elements, param, grad, expAvg, expAvgSq, usedMax);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new AdamKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<AdamKernel.Coefficients> prepare(double lr, long step, AdamKernel.Coefficients c) {
        double biasCorrection1 = 1 - power(beta1(), step);
        double biasCorrection2 = 1 - power(beta2(), step);
        c.weightDecay = (float) weightDecay();
        c.decayFactor = (float) (1 - lr * weightDecay());
        c.beta1 = (float) beta1();
        c.beta1Complement = (float) (1 - beta1());
        c.beta2 = (float) beta2();
        c.beta2Complement = (float) (1 - beta2());
        c.biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        c.eps = (float) eps();
        c.negativeStepSize = (float) -(lr / biasCorrection1);
        return kernel;
    }

    /** {@code Adam}, or {@code AdamW} with decoupled weight decay. */
    @Override
    public String name() {
        return decoupledWeightDecay() ? "AdamW" : "Adam";
    }

    /** {@code exp_avg}, {@code exp_avg_sq}, then {@code max_exp_avg_sq} with amsgrad. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }
}
