package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RAdamKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;

/**
 * Rectified Adam, with L2 or decoupled weight decay: PyTorch's {@code torch.optim.RAdam}, bit for bit equal to
 * PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32 step counter), in double:
 * bc1 = 1 − β1^t, bc2 = 1 − β2^t, ρ∞ = 2 / (1 − β2) − 1, ρ_t = ρ∞ − 2·t·β2^t / bc2, and when ρ_t &gt; 5
 * r_t = sqrt((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)). For each element, with p the parameter, g the
 * gradient, m the {@code exp_avg}, v the {@code exp_avg_sq}, {@code rn} one rounding to float, {@code fma} one
 * rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:                          g = −g
 * if decoupled_weight_decay:            p = rn(p · f(1 − lr · weight_decay))
 * else if weight_decay ≠ 0:             g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * u = rn(rn(m / f(bc1)) · f(lr))
 * if ρ_t &gt; 5:  u = rn(rn(u · rn(rn(1 / rn(rn(sqrt(v)) + f(eps))) · f(sqrt(bc2)))) · f(r_t))
 * p = rn(p − u)
 * </pre>
 * With PyTorch's default betas the rectified update starts at step 6. The state buffers start at zero, as
 * PyTorch's do. PyTorch 1.13's RAdam had neither maximize nor decoupled_weight_decay; under
 * {@link Semantics#PYTORCH_1_13} they do what they do in 2.x.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link RAdamHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class RAdam extends RAdamHyperParameters {

    RAdam(Builder builder) {
        super(builder);
    }

    /** The kernel of the rectified update or of the plain one. */
    private UpdateKernel<RAdamKernel.Coefficients> kernel(boolean rectified, int bits, Format dtype) {
        return Kernels.kernel(RAdamKernel.FAMILY, bits, dtype, new RAdamKernel.Flags(maximize(),
                WeightDecay.of(weightDecay(), decoupledWeightDecay()), semantics().lerp(), rectified));
    }

    @Override
    UpdateKernel<RAdamKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return kernel(variant == 1, bits, dtype);
    }

    /** Two kernels: the plain update, and the rectified one once {@code rho_t > 5}. */
    @Override
    int variants() {
        return 2;
    }

    @Override
    int variant(long step) {
        return rhoT(step) > 5 ? 1 : 0;
    }

    @Override
    void coefficients(double lr, long step, RAdamKernel.Coefficients c, ScalarOperands operands) {
        double rhoT = rhoT(step);
        double rhoInf = rhoInf();
        c.setMoments(lr, weightDecay(), beta1(), beta2(), operands, semantics().lerp());
        c.biasCorrection1 = operands.factor(1 - power(beta1(), step));
        c.lr = operands.factor(lr);
        c.biasCorrection2Sqrt = operands.factor(Math.sqrt(1 - power(beta2(), step)));
        c.eps = operands.rounded(eps());
        c.rect = rhoT > 5
                ? operands.factor(Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)))
                : 0;
    }

    /** PyTorch's ρ∞, the maximum length of the approximated simple moving average. */
    private double rhoInf() {
        return 2 / (1 - beta2()) - 1;
    }

    /** PyTorch's ρ_t at step {@code step}: the update is rectified when it exceeds 5. */
    private double rhoT(long step) {
        double beta2PowT = power(beta2(), step);
        return rhoInf() - 2 * countedStep(step) * beta2PowT / (1 - beta2PowT);
    }
}
