package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.LionKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * Lion, EvoLved Sign Momentum (Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023), with decoupled
 * weight decay: bit for bit equal to its authors' PyTorch reference implementation, {@code lion/lion_pytorch.py} in
 * <a href="https://github.com/google/automl/blob/master/lion/lion_pytorch.py">google/automl</a>, on float32, under
 * PyTorch 1.13 and 2.x alike (it runs no operation whose rounding changed on float32: its golden vectors, recorded
 * under both, are the same bytes). {@code torch.optim} has no Lion; on float32 {@link Semantics} does not change it.
 * On bfloat16 and float16 tensors it is the reference's step on such tensors, each operation rounded to the dtype,
 * whose operands 1.13 and 2.x round differently (a factor of {@code mul} is rounded to the dtype in 1.13, a float in
 * 2.x; docs/semantics.md): {@link Semantics} picks which, and golden vectors recorded under each hold it there.
 *
 * <p>For each element, with p the parameter, g the gradient, m the {@code exp_avg}, {@code rn} one rounding to
 * float, {@code fma} one rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * p = rn(p · f(1 − lr · weight_decay))              (skipped when weight_decay = 0, where it changes nothing)
 * c = rn(rn(m · f(β1)) + rn(g · f(1 − β1)))
 * p = rn(p + sign(c) · f(−lr))                      (sign: +1, −1, or 0 for ±0 and NaN, as torch.sign)
 * m = fma(g, f(1 − β2), rn(m · f(β2)))
 * </pre>
 * The momentum starts at zero, as the reference's does; like the reference, Lion counts no steps (its state holds
 * only {@code exp_avg}), and its update does not depend on the step number.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link LionHyperParameters}; the reference checks
 * {@code lr} and {@code betas} with the messages these give, and vecoptim refuses a non-finite weight decay too.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Lion extends LionHyperParameters {

    Lion(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<LionKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(LionKernel.FAMILY, bits, dtype, new LionKernel.Flags(weightDecay() != 0));
    }

    @Override
    void coefficients(double lr, long step, LionKernel.Coefficients c, ScalarOperands operands) {
        c.decayFactor = operands.factor(1 - lr * weightDecay());
        c.beta1 = operands.factor(beta1());
        c.beta1Complement = operands.factor(1 - beta1());
        c.beta2 = operands.factor(beta2());
        c.beta2Complement = operands.rounded(1 - beta2());
        c.negativeLr = operands.rounded(-lr);
        c.operands = operands;
    }
}
