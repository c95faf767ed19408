package dev.vecoptim;

import dev.vecoptim.kernel.AdamaxKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

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

    Adamax(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<AdamaxKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdamaxKernel.FAMILY, bits, dtype, new AdamaxKernel.Flags(maximize(), weightDecay() != 0, semantics().lerp()));
    }

    @Override
    void coefficients(double lr, long step, AdamaxKernel.Coefficients c, ScalarOperands operands) {
        double clr = lr / (1 - power(beta1(), step));
        c.weightDecay = operands.rounded(weightDecay());
        c.beta1 = operands.factor(beta1());
        c.beta1Complement = semantics().lerp() ? operands.value(1 - beta1()) : operands.rounded(1 - beta1());
        c.beta2 = operands.factor(beta2());
        c.eps = operands.rounded(eps());
        c.negativeClr = operands.value(-clr);
    }
}
