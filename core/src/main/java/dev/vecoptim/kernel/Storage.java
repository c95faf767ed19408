package dev.vecoptim.kernel;

import java.util.Objects;

/**
 * The dtypes a step's buffers are stored in, for an update that computes in float32 ({@link WidenedKernel}): the
 * parameter's, its gradient's, and that of the optimizer's state buffers (all of one dtype). Some layouts and what
 * they are for:
 * <ul>
 * <li>all {@link Format#BFLOAT16} (or all {@link Format#FLOAT16}): half the bytes of float32, each result rounded once
 *     when it is stored: on Adam's and AdamW's kernels, PyTorch 2.x's {@code fused=True} CPU step on such tensors,
 *     bit for bit (checked against recordings of 2.6);
 * <li>float32 parameter and gradient, {@link Format#BFLOAT16} state: the state's memory halved, the parameter
 *     exact;
 * <li>a 16-bit parameter with a float32 master ({@link Master}): the update of float32, the model's parameter its
 *     rounding ({@link Master#FLOAT32}) or its upper half ({@link Master#SPLIT});
 * <li>all {@link Format#FLOAT32}: what the float32 kernels do on their own.
 * </ul>
 *
 * @param param the parameter's dtype
 * @param grad the gradient's dtype
 * @param state the dtype of every state buffer
 * @param master where the parameter's float32 value lives: in the step's last state segment, when not
 *     {@link Master#NONE}
 * @param stochastic how the state buffers round to bfloat16 stochastically, or null to round them to nearest
 */
public record Storage(Format param, Format grad, Format state, Master master, StochasticRounding stochastic) {

    /**
     * Refuses a null dtype or master, a master for a float32 parameter or a split one for a parameter not bfloat16,
     * and stochastic rounding of state not bfloat16.
     */
    public Storage {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(grad, "grad");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(master, "master");
        if (master != Master.NONE && param == Format.FLOAT32 || master == Master.SPLIT && param != Format.BFLOAT16) {
            throw new IllegalArgumentException("a " + master + " master for a " + param + " parameter");
        }
        if (stochastic != null && state != Format.BFLOAT16) {
            throw new IllegalArgumentException("stochastic rounding of " + state + " state: it rounds to BFLOAT16");
        }
    }

    /** The storage of these dtypes and master, its state rounded to nearest. */
    public Storage(Format param, Format grad, Format state, Master master) {
        this(param, grad, state, master, null);
    }

    /** The storage of these dtypes, without a master. */
    public Storage(Format param, Format grad, Format state) {
        this(param, grad, state, Master.NONE);
    }

    /** {@return the storage of every buffer in {@code dtype}} */
    public static Storage of(Format dtype) {
        return new Storage(dtype, dtype, dtype);
    }
}
