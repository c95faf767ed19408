package dev.vecoptim;

import dev.vecoptim.kernel.AdanKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import java.util.Map;

/**
 * Adan, ADAptive Nesterov momentum (Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
 * Models", 2022, arXiv:2208.06677): bit for bit equal to its authors' PyTorch reference implementation,
 * {@code adan.py} in <a href="https://github.com/sail-sg/Adan/blob/main/adan.py">sail-sg/Adan</a>, its single-tensor
 * step ({@code foreach=False}), on float32 under PyTorch 1.13 and 2.x alike (it runs no operation whose rounding
 * changed on float32: its golden vectors, recorded under both, are the same bytes); on float32 {@link Semantics} does
 * not change it. On bfloat16 and float16 tensors it is the reference's step on such tensors, each operation rounded
 * to the dtype, whose operands 1.13 and 2.x round differently (docs/semantics.md): {@link Semantics} picks which.
 *
 * <p>For each element, with p the parameter, g the gradient, m the {@code exp_avg}, d the {@code exp_avg_diff}, v
 * the {@code exp_avg_sq}, n the {@code neg_pre_grad} (minus the previous gradient; at step 1, minus this one),
 * {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double expression x rounded once to
 * float, at step t:
 * <pre>
 * n = rn(n + g)                                     (the gradient's difference; at step 1 +0, or NaN for g = ±∞ or NaN)
 * m = fma(g, f(1 − β1), rn(m · f(β1)))
 * d = fma(n, f(1 − β2), rn(d · f(β2)))
 * n = rn(rn(n · f(β2)) + g)                         (the Nesterov gradient)
 * v = fma(rn(f(1 − β3) · n), n, rn(v · f(β3)))
 * denom = rn(rn(rn(sqrt(v)) / f(sqrt(1 − β3^t))) + f(eps))
 * p = rn(p · f(1 − lr · weight_decay))              (no_prox only, and weight_decay ≠ 0)
 * p = rn(p + rn(rn(f(−lr / (1 − β1^t)) · m) / denom))
 * p = rn(p + rn(rn(f(−lr · β2 / (1 − β2^t)) · d) / denom))
 * p = rn(p / f(1 + lr · weight_decay))              (without no_prox, and weight_decay ≠ 0)
 * n = 0 − g                                         (exact: −g, and +0 for a zero gradient)
 * </pre>
 * The moments start at zero, as the reference's do. The reference keeps its step count in each parameter group
 * ({@code group['step']}) where vecoptim keeps one per parameter; they agree for parameters that step together, and a
 * state dict holds it both ways ({@link #groupEntries()}), so that the reference resumes from vecoptim's files at its
 * step and vecoptim from the reference's. Its
 * {@code max_grad_norm} (a clipping of its own, by {@code max_grad_norm / (norm + eps)}) is not offered: with its
 * default 0, the one recorded, it clips nothing; {@link Optimizer.Builder#maxGradNorm} clips as
 * {@code torch.nn.utils.clip_grad_norm_} does instead. Its {@code foreach} and {@code fused} choose how PyTorch runs
 * it, not what it computes on the CPU.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdanHyperParameters}; the reference checks
 * {@code lr}, {@code eps} and {@code betas} with the messages these give, and vecoptim refuses a non-finite weight
 * decay too. Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adan extends AdanHyperParameters {

    Adan(Builder builder) {
        super(builder);
    }

    /** {@return the reference's {@code group['step']}: the step count} */
    @Override
    Map<String, String> groupEntries() {
        return Map.of("step", "step");
    }

    @Override
    UpdateKernel<AdanKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdanKernel.FAMILY, bits, dtype, new AdanKernel.Flags(variant == 1, noProx(),
                weightDecay() != 0));
    }

    @Override
    void coefficients(double lr, long step, AdanKernel.Coefficients c, ScalarOperands operands) {
        // The reference counts steps in a Python int, which PyTorch's float32 step tensors' 2^24 limit never reaches.
        double biasCorrection1 = 1 - StrictMath.pow(beta1(), step);
        double biasCorrection2 = 1 - StrictMath.pow(beta2(), step);
        double biasCorrection3 = 1 - StrictMath.pow(beta3(), step);
        c.beta1 = operands.factor(beta1());
        c.beta1Complement = operands.rounded(1 - beta1());
        c.beta2 = operands.factor(beta2());
        c.beta2Complement = operands.rounded(1 - beta2());
        c.beta3 = operands.factor(beta3());
        c.beta3Complement = operands.value(1 - beta3());
        c.biasCorrection3Sqrt = operands.factor(Math.sqrt(biasCorrection3));
        c.eps = operands.rounded(eps());
        c.negativeStepSize = operands.value(-(lr / biasCorrection1));
        c.negativeDiffStepSize = operands.value(-(lr * beta2() / biasCorrection2));
        c.decayFactor = operands.factor(1 - lr * weightDecay());
        c.decayDivisor = operands.factor(1 + lr * weightDecay());
        c.operands = operands;
    }
}
