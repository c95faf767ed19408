package dev.vecoptim;

import dev.vecoptim.kernel.AsgdKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;

/**
 * Averaged stochastic gradient descent: PyTorch's {@code torch.optim.ASGD}, bit for bit equal to PyTorch's CPU
 * result on float32 (1.13 and 2.x compute it alike).
 *
 * <p>Besides its state buffer {@code ax}, the running average of the parameter, each parameter keeps the
 * scalars {@code eta} (its step size) and {@code mu} (the averaging weight), floats as in PyTorch's float32
 * tensors. They start, at step 1, at eta = f(lr) and mu = 1; each step reads them, then sets them for the next
 * one, for step t (every step after 2^24 is 2^24, as in PyTorch's float32 step counter) at that step's lr:
 * <pre>
 * eta = f(lr / (1 + λ·lr·t)^α)
 * mu  = f(1 / max(1, t − t0))
 * </pre>
 * so a learning rate schedule reaches the step size one step late, as in PyTorch. For each element, with p the
 * parameter, g the gradient, {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the
 * double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * p = rn(p · f(1 − λ·eta))
 * p = fma(g, −eta, p)
 * if mu ≠ 1:            ax = rn(ax + rn(rn(p − ax) · mu))
 * else:                 ax = p
 * </pre>
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AsgdHyperParameters}. Stricter than PyTorch,
 * which checks only lr and weight_decay: lambd and alpha must be finite and ≥ 0 (a negative one turns the step
 * size into NaN or makes it grow without bound) and t0 must not be NaN.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Asgd extends AsgdHyperParameters {

    Asgd(Builder builder) {
        super(builder);
    }

    private UpdateKernel<AsgdKernel.Coefficients> kernel(boolean averaging, int bits, Format dtype) {
        return Kernels.kernel(AsgdKernel.FAMILY, bits, dtype, new AsgdKernel.Flags(maximize(), weightDecay() != 0,
                averaging));
    }

    @Override
    UpdateKernel<AsgdKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        UpdateKernel<AsgdKernel.Coefficients> copying = kernel(false, bits, dtype);
        UpdateKernel<AsgdKernel.Coefficients> averaging = kernel(true, bits, dtype);
        // Whether a step averages or copies depends on the parameter's mu, which only its state holds.
        return (param, grad, state, c, from, to) -> (scalar(state[2]) != 1 ? averaging : copying)
                .step(param, grad, state, c, from, to);
    }

    @Override
    void coefficients(double lr, long step, AsgdKernel.Coefficients c, ScalarOperands operands) {
        c.weightDecay = operands.rounded(weightDecay());
        c.lambd = lambd();
        c.operands = operands;
    }

    private static void initialize(double lr, MemorySegment eta, MemorySegment mu) {
        scalar(eta, (float) lr);
        scalar(mu, 1);
    }

    private void advance(double lr, MemorySegment eta, MemorySegment mu, long step) {
        double t = countedStep(step);
        // StrictMath: Math.pow may differ by an ulp from one JVM or CPU to another; StrictMath never does.
        scalar(eta, (float) (lr / StrictMath.pow(1 + lambd() * lr * t, alpha())));
        scalar(mu, (float) (1 / Math.max(1, t - t0())));
    }

    @Override
    void initializeScalars(double lr, MemorySegment[] state) {
        initialize(lr, state[1], state[2]);
    }

    @Override
    void advanceScalars(double lr, MemorySegment[] state, long step) {
        advance(lr, state[1], state[2], step);
    }
}
