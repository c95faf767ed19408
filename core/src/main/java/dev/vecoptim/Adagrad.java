package dev.vecoptim;

import dev.vecoptim.kernel.AdagradKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * Adagrad with optional learning-rate decay and weight decay: PyTorch's {@code torch.optim.Adagrad}, bit for
 * bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give the same bits; see {@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * clr = lr / (1 + (t − 1) · lr_decay). For each element, with p the parameter, g the
 * gradient, sum the {@code sum}, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)}
 * the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sum = fma(g, g, sum)
 * std = rn(rn(sqrt(sum)) + f(eps))
 * p = rn(p + rn(rn(f(−clr) · g) / std))
 * </pre>
 * The {@code sum} starts at {@code f(initial_accumulator_value)}, as PyTorch's does.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdagradHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Adagrad extends AdagradHyperParameters {

    Adagrad(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<AdagradKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdagradKernel.FAMILY, bits, dtype, new AdagradKernel.Flags(maximize(), weightDecay() != 0));
    }

    @Override
    void coefficients(double lr, long step, AdagradKernel.Coefficients c, ScalarOperands operands) {
        double clr = lr / (1 + (countedStep(step) - 1) * lrDecay());
        c.weightDecay = operands.rounded(weightDecay());
        c.eps = operands.rounded(eps());
        c.negativeClr = operands.value(-clr);
    }

    @Override
    float initialState(String name) {
        return (float) initialAccumulatorValue();
    }
}
