package dev.vecoptim;

import dev.vecoptim.kernel.AdamWScheduleFreeKernel;
import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.ScalarOperands;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Schedule-Free AdamW (Defazio et al., "The Road Less Scheduled", 2024, arXiv:2405.15682): bit for bit equal to its
 * authors' PyTorch reference implementation, {@code AdamWScheduleFree} in
 * <a href="https://github.com/facebookresearch/schedule_free/blob/main/schedulefree/adamw_schedulefree.py">
 * facebookresearch/schedule_free</a> (commit b3be06f), its single-tensor step ({@code foreach=False}; its foreach step
 * computes the same on the CPU), on float32 under PyTorch 1.13 and 2.x. On bfloat16 and float16 tensors it is the
 * reference's step on such tensors, each operation rounded to the dtype as {@link Semantics} says.
 *
 * <p>It needs no learning-rate schedule: it averages its iterates instead. A parameter holds y, the point where
 * gradients are taken, while training, and x, the average that is evaluated, after {@link Optimizer#eval()};
 * {@link Optimizer#train()} moves it back. Its state {@code z} is the sequence the average is of.
 *
 * <p>At step t = k + 1, in double as the reference's Python floats (the scalars {@code weight_sum}, 0 before step 1,
 * and {@code lr_max}, −1 before step 1, are kept as doubles):
 * <pre>
 * lr         = γ · (k + 1) / warmup_steps  if k &lt; warmup_steps, else γ
 * lr_max     = max(lr, lr_max)
 * weight     = (k + 1)^r · lr_max^weight_lr_power
 * weight_sum = weight_sum + weight
 * ckp1       = weight / weight_sum, or 0 if weight_sum is 0
 * </pre>
 * then for each element, with y the parameter, g the gradient, v the {@code exp_avg_sq}, {@code rn} one rounding to
 * float, {@code fma} one rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * v = fma(rn(f(1 − β2) · g), g, rn(v · f(β2)))
 * denom = rn(rn(sqrt(rn(v / f(1 − β2^t)))) + f(eps))
 * u = rn(g / denom)
 * if weight_decay ≠ 0:  u = fma(y, f(weight_decay), u)
 * y = lerp(y, z, f(ckp1))                         (z is y itself at step 1)
 * y = fma(u, f(lr · (β1 · (1 − ckp1) − 1)), y)
 * z = fma(u, f(−lr), z)
 * </pre>
 * where {@code lerp(s, e, W)} is ATen's: {@code fma(W, rn(e − s), s)} if |W| &lt; 0.5, else
 * {@code fma(W − 1, rn(e − s), e)}. The reference writes u into the gradient; vecoptim only reads it.
 *
 * <p>The reference keeps {@code k}, {@code weight_sum}, {@code lr_max} and {@code train_mode} in each parameter
 * group, where vecoptim keeps a step count and the two scalars per parameter and the mode per {@link Optimizer}: they
 * agree for parameters that step together. A state dict holds them both ways, in {@code param_groups} as the
 * reference reads them and per parameter; a load takes the group's, so that either side resumes from the other's
 * files (checked by hand: 5 steps here, {@code eval()}, the state dict, then 3 steps of the reference equal 3 more
 * steps here bit for bit, under 1.13 and 2.6). A group whose parameters have made different numbers of steps, which
 * the reference cannot hold, writes only the per-parameter ones. The reference starts in eval mode and refuses a step
 * before its {@code train()}; an {@link Optimizer} starts in train mode, the same values before any step.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link AdamWScheduleFreeHyperParameters}; the reference
 * checks none. vecoptim checks lr, eps and weight_decay as AdamW does, and refuses β1 = 0, which the reference
 * divides by in {@code eval()}, a negative {@code weight_lr_power}, which it raises 0 to at lr = 0, and an infinite
 * {@code r}. Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class AdamWScheduleFree extends AdamWScheduleFreeHyperParameters {
    /** The reference's group entries, in its order: its step count k and the two scalars. */
    private static final Map<String, String> GROUP_ENTRIES;

    static {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("k", "step");
        entries.put("weight_sum", "weight_sum");
        entries.put("lr_max", "lr_max");
        GROUP_ENTRIES = Collections.unmodifiableMap(entries);
    }

    AdamWScheduleFree(Builder builder) {
        super(builder);
        if (beta1() == 0) {
            throw new IllegalArgumentException("Invalid beta parameter at index 0: 0.0 (Schedule-Free AdamW's eval()"
                    + " divides by beta1: it must be > 0)");
        }
    }

    /** {@return true: a parameter's train value is y, its eval value x} */
    @Override
    public boolean hasModes() {
        return true;
    }

    @Override
    Map<String, String> groupEntries() {
        return GROUP_ENTRIES;
    }

    /** {@code 1 − β1} to the train value, {@code 1 − 1/β1} to the eval value: the reference's lerp weights. */
    @Override
    double modeWeight(boolean training) {
        return training ? 1 - beta1() : 1 - 1 / beta1();
    }

    @Override
    UpdateKernel<AdamWScheduleFreeKernel.Coefficients> kernel(int variant, int bits, Format dtype) {
        return Kernels.kernel(AdamWScheduleFreeKernel.FAMILY, bits, dtype,
                new AdamWScheduleFreeKernel.Flags(variant == 1, weightDecay() != 0));
    }

    @Override
    void coefficients(double lr, long step, AdamWScheduleFreeKernel.Coefficients c, ScalarOperands operands) {
        c.lr = warmedUp(lr, step);
        c.beta1 = beta1();
        c.stepPower = stepPower(step);
        c.weightLrPower = weightLrPower();
        c.weightAtLr = AdamWScheduleFreeKernel.weight(c.stepPower, c.lr, c.weightLrPower);
        c.beta2 = operands.factor(beta2());
        c.beta2Complement = operands.value(1 - beta2());
        c.biasCorrection2 = operands.factor(1 - StrictMath.pow(beta2(), step));
        c.eps = operands.rounded(eps());
        c.weightDecay = operands.rounded(weightDecay());
        c.negativeLr = operands.rounded(-c.lr);
        c.operands = operands;
    }

    @Override
    void initializeScalars(double lr, MemorySegment[] state) {
        scalar(state[2], 0);
        scalar(state[3], -1);
    }

    @Override
    void advanceScalars(double lr, MemorySegment[] state, long step) {
        double lrMax = AdamWScheduleFreeKernel.lrMax(warmedUp(lr, step), scalar(state[3]));
        scalar(state[2], scalar(state[2]) + AdamWScheduleFreeKernel.weight(stepPower(step), lrMax, weightLrPower()));
        scalar(state[3], lrMax);
    }

    /**
     * The learning rate of step {@code step} = k + 1 during the warmup. The reference counts k in a Python int, which
     * PyTorch's float32 step tensors' 2^24 limit never reaches.
     */
    private double warmedUp(double lr, long step) {
        return step - 1 < warmupSteps() ? lr * (step / warmupSteps()) : lr;
    }

    /** {@code (k+1)^r}. */
    private double stepPower(long step) {
        // StrictMath: Math.pow may differ by an ulp from one JVM or CPU to another; StrictMath never does.
        return StrictMath.pow(step, r());
    }
}
