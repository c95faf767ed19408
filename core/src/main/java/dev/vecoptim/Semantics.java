package dev.vecoptim;

/**
 * Which PyTorch's bits an optimizer reproduces. On the CPU's default path (single-tensor, {@code foreach}
 * and {@code fused} unset) PyTorch 2.x rounds two updates differently from 1.13, both now an ATen
 * {@code lerp} with a scalar weight {@code W = f(w)}: {@code fma(W, rn(end − start), start)} when |W| &lt; 0.5,
 * else {@code fma(W − 1, rn(end − start), end)}.
 * <ul>
 * <li>Adam's and AdamW's first moment: {@code exp_avg.lerp_(grad, 1 − β1)} instead of
 *     {@code fma(g, f(1 − β1), rn(m · f(β1)))};
 * <li>centered RMSprop's gradient average: {@code grad_avg.lerp_(grad, 1 − alpha)} instead of
 *     {@code fma(g, f(1 − alpha), rn(ga · f(alpha)))}.
 * </ul>
 * Everything else gives the same bits under both (SGD, the second moments, AMSGrad's maximum, the
 * denominators and the updates). The difference is mostly an ulp; but {@code rn(end − start)} can overflow:
 * a moment of −5.7e37 meeting a gradient of 3e38 becomes infinite, and then NaN at the next finite gradient,
 * where 1.13 stayed finite. A checkpoint records the semantics it was made under, and loads only under the same;
 * a state dict records them too (or, from {@code python/state_dict.py}, the PyTorch that wrote it), and loads
 * under either with a warning that names the setting.
 */
public enum Semantics {
    /** PyTorch 2.x, measured with 2.6.0: the default, what users run today. */
    PYTORCH_2("PyTorch 2.x"),
    /** PyTorch 1.13.1, as Debian 12 ships it. */
    PYTORCH_1_13("PyTorch 1.13");

    private final String version;

    Semantics(String version) {
        this.version = version;
    }

    /** {@return {@code PyTorch 2.x} or {@code PyTorch 1.13}} */
    public String version() {
        return version;
    }

    /** The semantics of this name, or null. */
    static Semantics named(String name) {
        for (Semantics semantics : values()) {
            if (semantics.name().equals(name)) {
                return semantics;
            }
        }
        return null;
    }

    /** The semantics of the PyTorch whose {@code torch.__version__} is {@code version}, or null if it is not one. */
    static Semantics ofTorchVersion(String version) {
        java.util.regex.Matcher major = java.util.regex.Pattern.compile("([1-9][0-9]*)\\.[0-9]+.*").matcher(version);
        if (!major.matches()) {
            return null;
        }
        return major.group(1).equals("1") ? PYTORCH_1_13 : PYTORCH_2;
    }

    /** Whether the first moment (Adam) or gradient average (centered RMSprop) is a {@code lerp}. */
    boolean lerp() {
        return this == PYTORCH_2;
    }
}
