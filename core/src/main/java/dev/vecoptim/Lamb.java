package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.LambKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import java.util.Map;

/**
 * LAMB, layer-wise adaptive moments (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76
 * minutes", 2019, arXiv:1904.00962), as NVIDIA's FusedLAMB computes it: bit for bit equal to timm's {@code Lamb},
 * {@code timm/optim/lamb.py} in
 * <a href="https://github.com/huggingface/pytorch-image-models/blob/main/timm/optim/lamb.py">
 * huggingface/pytorch-image-models</a> (at commit 9a6fcf5), Adam's moments whose update is scaled, parameter by
 * parameter, by the ratio of the parameter's norm to the update's. {@code torch.optim} has no LAMB. Its norms are
 * PyTorch's float32 reductions ({@code torch.norm}), as for {@link Lars}: {@link Semantics} picks 1.13's or 2.x's, on
 * float32 as on bfloat16 and float16 tensors, where the reference's operations round to the dtype as each version
 * rounds them (docs/semantics.md). Golden vectors recorded under each hold it there.
 *
 * <p>For each element at step t, with p the parameter, g the gradient, m the {@code exp_avg}, v the
 * {@code exp_avg_sq}, β3 = 1 − β1 with {@code grad_averaging} (else 1), {@code bc1 = 1 − β1^t} and
 * {@code bc2 = 1 − β2^t} (each 1 without {@code bias_correction}), {@code rn} one rounding to float, {@code fma} one
 * rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * m = fma(g, f(β3), rn(m · f(β1)))
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * u = rn(rn(m / f(bc1)) / rn(rn(rn(√v) / f(√bc2)) + f(eps)))
 * u = fma(p, f(weight_decay), u)                    (weight_decay ≠ 0, not decoupled_decay)
 * p = fma(p, f(−lr · weight_decay), p)              (weight_decay ≠ 0, decoupled_decay)
 * u = rn(u · ratio)                                 (weight_decay ≠ 0 or always_adapt)
 * p = fma(u, f(−lr), p)
 * </pre>
 * where, of each whole parameter, with w the norm of p (after its decoupled decay) and n the norm of u (before the
 * ratio), each {@code torch.norm} rounded to the tensors' dtype:
 * <pre>
 * ratio = rn(w / n), or 1 unless w &gt; 0 and n &gt; 0 (a NaN norm gives 1)
 * ratio = min(ratio, 1)                             (trust_clip)
 * </pre>
 * The moments start at zero, as the reference's do. Each parameter's norms are worked out whole before any chunk of it
 * steps, computing its moments and update again without writing them: threads, vector widths and flat storage change
 * no bit, and a 16-bit parameter stepped in float32 ({@link #fused()}, a {@link #stateDtype()},
 * {@link #masterWeights()}) takes its norms of the float32 values that step computes. PyTorch splits a reduction of more
 * than 32,768 elements between its threads: the reference is reproduced as it runs on one thread, and on any number for
 * parameters of at most 32,768 elements. A {@link ShardedOptimizer} refuses it: no shard holds a whole parameter.
 *
 * <p>Not offered, and recorded turned off: the reference's {@code max_grad_norm} (by default 1.0, it divides every
 * gradient by {@code max(‖all gradients‖ / max_grad_norm, 1)} before the step; {@link Optimizer.Builder#maxGradNorm}
 * clips as {@code torch.nn.utils.clip_grad_norm_} does instead, which multiplies by
 * {@code max_norm / (‖all gradients‖ + 1e-6)}), and its {@code caution} (off by default). A program porting
 * {@code Lamb(params)} from timm therefore clips there and not here unless it says so. The reference keeps its step
 * count in each parameter group ({@code group['step']}), a Python integer, where vecoptim keeps one per parameter; they
 * agree for parameters that step together, and a state dict holds it both ways ({@link #groupEntries()}), so that the
 * reference resumes from vecoptim's files at its step and vecoptim from the reference's.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link LambHyperParameters}; the reference checks none, and
 * vecoptim refuses a negative or non-finite {@code lr}, {@code eps} or {@code weight_decay}, and {@code betas} outside
 * [0, 1), with the messages {@code torch.optim.Adam} gives. Instances are thread-safe; a step must not run
 * concurrently with another step on the same buffers.
 */
public final class Lamb extends LambHyperParameters {
    Lamb(Builder builder) {
        super(builder);
    }

    /** {@return the reference's {@code group['step']}: the step count} */
    @Override
    Map<String, String> groupEntries() {
        return Map.of("step", "step");
    }

    /** {@return the parameter, the gradient and both moments, from which it computes its update again, when it adapts} */
    @Override
    public int wholeParameterReads() {
        return weightDecay() != 0 || alwaysAdapt() ? 4 : 0;
    }

    @Override
    UpdateKernel<LambKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        boolean decays = weightDecay() != 0;
        return Kernels.kernel(LambKernel.FAMILY, bits, dtype, new LambKernel.Flags(decays, decays && decoupledDecay(),
                decays || alwaysAdapt()));
    }

    @Override
    void coefficients(double lr, long step, LambKernel.Coefficients c, ScalarOperands operands) {
        c.setMoments(lr, weightDecay(), beta1(), beta2(), operands, false);
        c.beta1Complement = operands.rounded(gradAveraging() ? 1 - beta1() : 1.0);
        // The reference's step is a Python integer, which no float32 counter stops at 2^24.
        c.biasCorrection1 = operands.factor(biasCorrection() ? 1 - StrictMath.pow(beta1(), step) : 1.0);
        c.biasCorrection2Sqrt = operands.factor(biasCorrection() ? Math.sqrt(1 - StrictMath.pow(beta2(), step)) : 1.0);
        c.eps = operands.rounded(eps());
        c.decoupledDecay = operands.rounded(-lr * weightDecay());
        c.trustClip = trustClip();
        c.negativeLr = operands.rounded(-lr);
        c.operands = operands;
        c.norms = norms();
        c.laneFma = semantics() == Semantics.PYTORCH_1_13;
    }
}
