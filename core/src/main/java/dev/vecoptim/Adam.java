package dev.vecoptim;

import dev.vecoptim.kernel.AdamKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;

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

    Adam(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<AdamKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdamKernel.FAMILY, bits, dtype, new AdamKernel.Flags(maximize(),
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

    @Override
    void coefficients(double lr, long step, AdamKernel.Coefficients c, ScalarOperands operands) {
        double biasCorrection1 = 1 - power(beta1(), step);
        double biasCorrection2 = 1 - power(beta2(), step);
        c.setMoments(lr, weightDecay(), beta1(), beta2(), operands, semantics().lerp());
        c.biasCorrection2Sqrt = operands.factor(Math.sqrt(biasCorrection2));
        c.eps = operands.rounded(eps());
        c.negativeStepSize = operands.value(-(lr / biasCorrection1));
    }

    /** PyTorch 2.x's fused Adam and AdamW on 16-bit tensors round the float32 step once (golden-tested). */
    @Override
    boolean hasPyTorchFusedStep() {
        return true;
    }

    /** {@code Adam}, or {@code AdamW} with decoupled weight decay. */
    @Override
    public String name() {
        return decoupledWeightDecay() ? "AdamW" : "Adam";
    }
}
