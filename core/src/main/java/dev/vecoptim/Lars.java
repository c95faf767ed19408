package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.LarsKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg, "Large Batch Training of Convolutional Networks",
 * 2017, arXiv:1708.03888), with LARC's clipping as an option: bit for bit equal to timm's {@code Lars},
 * {@code timm/optim/lars.py} in
 * <a href="https://github.com/huggingface/pytorch-image-models/blob/main/timm/optim/lars.py">
 * huggingface/pytorch-image-models</a>, SGD whose gradient is first scaled, parameter by parameter, by a trust ratio
 * of norms. {@code torch.optim} has no LARS. Its norms are PyTorch's float32 reductions ({@code torch.norm}), which
 * PyTorch 1.13's build fuses and 2.x's does not: {@link Semantics} picks which, on float32 as on bfloat16 and float16
 * tensors, where the reference's operations round to the dtype as each version rounds them (docs/semantics.md).
 * Golden vectors recorded under each hold it there.
 *
 * <p>For each parameter, with w its norm and n its gradient's, each {@code torch.norm} rounded to the tensors' dtype,
 * and every operation on them rounded to it as on PyTorch's 0-dimensional tensors (on float32, {@code rn}), when
 * {@code weight_decay ≠ 0} or {@code always_adapt}:
 * <pre>
 * ratio = rn(rn(f(trust_coeff) · w) / rn(rn(n + rn(w · f(weight_decay))) + f(eps)))
 * ratio = 1                                         unless w &gt; 0 and n &gt; 0 (a NaN norm gives 1)
 * ratio = min(rn(ratio / f(lr)), 1)                 (trust_clip)
 * </pre>
 * then for each element, with p the parameter, g the gradient, b the {@code momentum_buffer}, {@code fma} one
 * rounding to float:
 * <pre>
 * g = rn(fma(p, f(weight_decay), g) · ratio)        (only when adapting, as above)
 * b = g at step 1, else fma(g, f(1 − dampening), rn(b · f(momentum)))      (momentum ≠ 0)
 * g = fma(b, f(momentum), g) with nesterov, else b                          (momentum ≠ 0)
 * p = fma(g, f(−lr), p)
 * </pre>
 * Like the reference, LARS counts no steps (its state holds only {@code momentum_buffer}), and with
 * {@code weight_decay = 0} and without {@code always_adapt} it is SGD without weight decay.
 *
 * <p>Its update is layer-wise: each parameter's norms are those of the whole parameter, reduced in PyTorch's order on
 * one thread (parallel across parameters), before any chunk of it steps, so threads, vector widths and flat storage
 * change no bit. PyTorch itself splits a reduction of more than 32,768 elements between its threads: the reference
 * is reproduced as it runs on one thread ({@code torch.set_num_threads(1)}), and on any number for parameters of at
 * most 32,768 elements. PyTorch 1.13 sums a float16 tensor's squares in float16, in order, which vecoptim reproduces
 * there. A 16-bit parameter stepped in float32 ({@link #fused()}, a {@link #stateDtype()}, {@link #masterWeights()})
 * takes its norms of the float32 values that step computes with: the parameter widened, or its master, and the
 * gradient widened. A {@link ShardedOptimizer} refuses it: no shard holds a whole parameter.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link LarsHyperParameters}; the reference checks
 * {@code lr}, {@code momentum}, {@code weight_decay} and Nesterov's needs with the messages these give, and vecoptim
 * refuses a non-finite {@code dampening}, {@code trust_coeff} or {@code eps} too. Instances are thread-safe; a step
 * must not run concurrently with another step on the same buffers.
 */
public final class Lars extends LarsHyperParameters {
    Lars(Builder builder) {
        super(builder);
    }

    /** {@return the parameter and the gradient, whose norms it takes when it adapts} */
    @Override
    public int wholeParameterReads() {
        return weightDecay() != 0 || alwaysAdapt() ? 2 : 0;
    }

    @Override
    UpdateKernel<LarsKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        boolean withMomentum = momentum() != 0;
        return Kernels.kernel(LarsKernel.FAMILY, bits, dtype, new LarsKernel.Flags(weightDecay() != 0 || alwaysAdapt(),
                withMomentum, withMomentum && nesterov(), withMomentum && variant == 1));
    }

    @Override
    void coefficients(double lr, long step, LarsKernel.Coefficients c, ScalarOperands operands) {
        c.weightDecay = operands.rounded(weightDecay());
        c.weightDecayFactor = operands.factor(weightDecay());
        c.trustCoeff = operands.factor(trustCoeff());
        c.eps = operands.rounded(eps());
        c.trustClip = trustClip();
        c.lrDivisor = operands.factor(lr);
        c.momentum = operands.factor(momentum());
        c.nesterovMomentum = operands.rounded(momentum());
        c.dampeningComplement = operands.rounded(1 - dampening());
        c.negativeLr = operands.rounded(-lr);
        c.operands = operands;
        c.norms = norms();
        c.laneFma = semantics() == Semantics.PYTORCH_1_13;
    }
}
