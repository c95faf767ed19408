package dev.vecoptim;

import dev.vecoptim.kernel.AdadeltaKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * Adadelta with optional weight decay: PyTorch's {@code torch.optim.Adadelta}, bit for bit equal to PyTorch's
 * CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, acc the
 * {@code acc_delta}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − rho) · g), g, rn(sq · f(rho)))
 * std = rn(sqrt(rn(sq + f(eps))))
 * delta = rn(rn(rn(sqrt(rn(acc + f(eps)))) / std) · g)
 * acc = fma(rn(f(1 − rho) · delta), delta, rn(acc · f(rho)))
 * p = fma(delta, f(−lr), p)
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdadeltaHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adadelta extends AdadeltaHyperParameters {

    Adadelta(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<AdadeltaKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdadeltaKernel.FAMILY, bits, dtype, new AdadeltaKernel.Flags(maximize(), weightDecay() != 0));
    }

    @Override
    void coefficients(double lr, long step, AdadeltaKernel.Coefficients c, ScalarOperands operands) {
        c.weightDecay = operands.rounded(weightDecay());
        c.rho = operands.factor(rho());
        c.rhoComplement = operands.value(1 - rho());
        c.eps = operands.rounded(eps());
        c.negativeLr = operands.rounded(-lr);
    }
}
