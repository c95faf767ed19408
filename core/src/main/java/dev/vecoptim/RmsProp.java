package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RmsPropKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * RMSProp, plain or centered, with optional momentum and weight decay: PyTorch's
 * {@code torch.optim.RMSprop}, bit for bit equal to PyTorch's CPU result on float32: 2.x's by default, or
 * 1.13's ({@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, ga the
 * {@code grad_avg}, buf the {@code momentum_buffer}, {@code rn} one rounding to float, {@code fma} one
 * rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − alpha) · g), g, rn(sq · f(alpha)))
 * if centered:          ga  = lerp(ga, g, f(1 − alpha))                 (PyTorch 2.x: see {@link Semantics})
 *                       ga  = fma(g, f(1 − alpha), rn(ga · f(alpha)))    (PyTorch 1.13)
 *                       avg = rn(sqrt(fma(−ga, ga, sq)))
 * else:                 avg = rn(sqrt(sq))
 * avg = rn(avg + f(eps))
 * if momentum &gt; 0:      buf = rn(rn(buf · f(momentum)) + rn(g / avg))
 *                       p = fma(buf, f(−lr), p)
 * else:                 p = rn(p + rn(rn(f(−lr) · g) / avg))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link RmsPropHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class RmsProp extends RmsPropHyperParameters {

    RmsProp(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<RmsPropKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(RmsPropKernel.FAMILY, bits, dtype, new RmsPropKernel.Flags(maximize(),
                weightDecay() != 0, centered(), momentum() > 0, centered() && semantics().lerp()));
    }

    @Override
    void coefficients(double lr, long step, RmsPropKernel.Coefficients c, ScalarOperands operands) {
        c.weightDecay = operands.rounded(weightDecay());
        c.alpha = operands.factor(alpha());
        c.alphaComplement = operands.value(1 - alpha());
        c.gradAvgWeight = semantics().lerp() ? operands.value(1 - alpha()) : operands.rounded(1 - alpha());
        c.eps = operands.rounded(eps());
        c.momentum = operands.factor(momentum());
        c.negativeLr = momentum() > 0 ? operands.rounded(-lr) : operands.value(-lr);
    }
}
