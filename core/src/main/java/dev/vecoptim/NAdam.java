package dev.vecoptim;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NAdamKernel;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WeightDecay;
import java.lang.foreign.MemorySegment;

/**
 * Adam with Nesterov momentum, with L2 or decoupled weight decay: PyTorch's {@code torch.optim.NAdam}, bit for
 * bit equal to PyTorch's CPU result on float32: 2.x's by default, or 1.13's ({@link Semantics}).
 *
 * <p>Besides its state buffers each parameter keeps the scalar {@code mu_product}, a float as in PyTorch's
 * float32 tensor, which starts at 1. For step t (from 1; every step after 2^24 is 2^24, as in PyTorch's float32
 * step counter), in double unless rounded: bc2 = 1 − β2^t, μ_t = β1·(1 − 0.5·0.96^(t·momentum_decay)),
 * μ_{t+1} = β1·(1 − 0.5·0.96^((t + 1)·momentum_decay)), then
 * <pre>
 * mu_product = rn(mu_product · f(μ_t))                                     (the scalar kept)
 * mu_product_next = mu_product · μ_{t+1}                                   (PyTorch 2.x, in double)
 * mu_product_next = rn(rn(mu_product · f(μ_t)) · f(μ_{t+1}))              (PyTorch 1.13, which applies μ_t twice)
 * c_g = −lr·(1 − μ_t) / (1 − mu_product),  c_m = −lr·μ_{t+1} / (1 − mu_product_next)
 * </pre>
 * For each element, with p the parameter, g the gradient, m the {@code exp_avg}, v the {@code exp_avg_sq},
 * {@code rn} one rounding to float, {@code fma} one rounding and {@code f(x)} the double expression x rounded
 * once to float:
 * <pre>
 * if maximize:                          g = −g
 * if decoupled_weight_decay:            p = rn(p · f(1 − lr · weight_decay))
 * else if weight_decay ≠ 0:             g = fma(p, f(weight_decay), g)
 * m = lerp(m, g, f(1 − β1))                    (PyTorch 2.x: see {@link Semantics})
 * m = fma(g, f(1 − β1), rn(m · f(β1)))         (PyTorch 1.13)
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * denom = rn(rn(sqrt(rn(v / f(bc2)))) + f(eps))
 * p = rn(p + rn(rn(f(c_g) · g) / denom))
 * p = rn(p + rn(rn(f(c_m) · m) / denom))
 * </pre>
 * The state buffers start at zero, as PyTorch's do. PyTorch 1.13's NAdam had neither maximize nor
 * decoupled_weight_decay; under {@link Semantics#PYTORCH_1_13} they do what they do in 2.x.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link NAdamHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class NAdam extends NAdamHyperParameters {

    NAdam(Builder builder) {
        super(builder);
    }

    @Override
    UpdateKernel<NAdamKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(NAdamKernel.FAMILY, bits, dtype, new NAdamKernel.Flags(maximize(),
                WeightDecay.of(weightDecay(), decoupledWeightDecay()), semantics().lerp()));
    }

    @Override
    void coefficients(double lr, long step, NAdamKernel.Coefficients c, ScalarOperands operands) {
        double t = countedStep(step);
        c.setMoments(lr, weightDecay(), beta1(), beta2(), operands, semantics().lerp());
        c.biasCorrection2 = operands.factor(1 - power(beta2(), step));
        c.eps = operands.rounded(eps());
        c.lr = lr;
        c.mu = mu(t);
        c.muNext = mu(t + 1);
        c.floatMuProductNext = semantics() == Semantics.PYTORCH_1_13;
    }

    /** PyTorch's momentum schedule μ at step t. */
    private double mu(double t) {
        return beta1() * (1 - 0.5 * StrictMath.pow(0.96, t * momentumDecay()));
    }

    /** {@code mu_product} after step {@code step}, from its value before. */
    private float advanced(float muProductBefore, long step) {
        return muProductBefore * (float) mu(countedStep(step));
    }

    @Override
    void initializeScalars(double lr, MemorySegment[] state) {
        scalar(state[2], 1);
    }

    @Override
    void advanceScalars(double lr, MemorySegment[] state, long step) {
        scalar(state[2], advanced((float) scalar(state[2]), step));
    }
}
