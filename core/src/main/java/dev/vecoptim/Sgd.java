package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.SgdKernel;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), weight decay and dampening:
 * PyTorch's {@code torch.optim.SGD}, bit for bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give
 * the same bits; see {@link Semantics}).
 *
 * <p>Immutable hyper-parameters plus the update itself. For each element, with p the parameter, g the
 * gradient, buf the {@code momentum_buffer}, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * if momentum ≠ 0:
 *     if step = 1:      buf = g
 *     else:             buf = fma(g, f(1 − dampening), rn(buf · f(momentum)))
 *     if nesterov:      g = fma(buf, f(momentum), g)
 *     else:             g = buf
 * p = fma(g, f(−lr), p)
 * </pre>
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link SgdHyperParameters}. PyTorch 2.x's default lr
 * is 1e-3 ({@link #builder()}); 1.13 had none ({@link #builder(double)}).
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Sgd extends SgdHyperParameters {

    Sgd(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<SgdKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        boolean withMomentum = momentum() != 0;
        return Kernels.kernel(SgdKernel.FAMILY, bits, dtype, new SgdKernel.Flags(maximize(), weightDecay() != 0,
                withMomentum, withMomentum && nesterov(), withMomentum && variant == 1));
    }

    /**
     * Starts SGD hyper-parameters with a learning rate, as PyTorch 1.13 demanded.
     *
     * @param lr the learning rate, ≥ 0
     * @return a new builder
     */
    public static Builder builder(double lr) {
        return builder().lr(lr);
    }

    @Override
    void coefficients(double lr, long step, SgdKernel.Coefficients c, ScalarOperands operands) {
        c.weightDecay = operands.rounded(weightDecay());
        c.momentum = operands.factor(momentum());
        c.nesterovMomentum = operands.rounded(momentum());
        c.dampeningComplement = operands.rounded(1 - dampening());
        c.negativeLr = operands.rounded(-lr);
        c.operands = operands;
    }
}
