package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RpropKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;

/**
 * Resilient backpropagation: PyTorch's {@code torch.optim.Rprop}, bit for bit equal to PyTorch's CPU result on
 * float32 (2.x and 1.13 give the same bits; see {@link Semantics}). Only the gradient's sign moves a parameter,
 * by a step size of its own that grows while the sign holds and shrinks when it flips.
 *
 * <p>For each element, with p the parameter, g the gradient, prev the {@code prev}, s the {@code step_size},
 * {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double x rounded to float:
 * <pre>
 * if maximize:  g = −g
 * on step 1:    prev = 0, s = f(lr)      (PyTorch creates them then, with the lr of that step)
 * c = rn(g · prev)
 * factor = f(etaplus) if c &gt; 0;  f(etaminus) if c &lt; 0;  1 if c is 0 or NaN, or if f(etaminus) is 0
 * s = rn(s · factor), then f(step_size_min) if s &lt; it, then f(step_size_max) if s &gt; it
 *                           (PyTorch's clamp: a step size of −0, from lr = −0.0, stays −0 against bounds of 0)
 * if factor = f(etaminus):  g = 0
 * prev = g
 * p = fma(−sign(g), s, p)     (sign(NaN) = 0: a NaN gradient leaves p as it is, and is kept in prev)
 * </pre>
 * The learning rate is used once, as every step size's start; changing it later changes nothing.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link RpropHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Rprop extends RpropHyperParameters {

    Rprop(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<RpropKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(RpropKernel.FAMILY, bits, dtype, new RpropKernel.Flags(maximize(), variant == 1));
    }

    @Override
    void coefficients(double lr, long step, RpropKernel.Coefficients c, ScalarOperands operands) {
        c.etaMinus = operands.rounded(etaMinus());
        c.etaPlus = operands.rounded(etaPlus());
        c.stepSizeMin = operands.rounded(stepSizeMin());
        c.stepSizeMax = operands.rounded(stepSizeMax());
        c.initialStepSize = operands.rounded(lr);
    }

    /** {@code step_size} starts at lr: what a parameter registered now would start from, were lr unchanged. */
    @Override
    float initialState(String name) {
        return name.equals(STEP_SIZE) ? (float) lr() : 0;
    }
}
