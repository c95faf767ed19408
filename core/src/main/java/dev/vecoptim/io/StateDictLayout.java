package dev.vecoptim.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch's {@code optimizer.state_dict()} as a safetensors file, the format alone: its {@code __metadata__}
 * entries, its tensors' names, the numbers its 0-dimensional tensors may hold, and how large its header can be.
 * What an optimizer's state means in it is the API package's ({@code StateDictFile}).
 *
 * <pre>
 * tensors       state.&lt;i&gt;.&lt;name&gt;  parameter i's state buffer, its step or one of its scalars
 * __metadata__  format         "torch.optim state_dict"
 *               param_groups   JSON: PyTorch's param_groups
 *               optimizers     JSON: each group's optimizer, PyTorch's class name
 *               step_count     the optimizer's step count, decimal
 *               semantics      JSON: each group's semantics (vecoptim's)
 *               rounding       JSON: each group's {"fused": …, "stochastic_rounding_seed": … or null} (vecoptim's)
 *               schedules      JSON: each group's learning-rate schedule, or null
 *               grad_scaler    JSON: the state of the GradScaler saved with the optimizer, PyTorch's state_dict()
 *               reduce_lr_on_plateau  JSON: the state of the optimizer's ReduceLROnPlateau, PyTorch's state_dict()
 *               torch_version  the PyTorch that wrote it (state_dict.py)
 *               crc32          the file's checksum ({@link Safetensors})
 * </pre>
 * Any other entry of {@code __metadata__} is refused, so that a misspelled one is never silently ignored.
 */
public final class StateDictLayout {
    public static final String FORMAT = "torch.optim state_dict";
    public static final String PARAM_GROUPS = "param_groups";
    public static final String OPTIMIZERS = "optimizers";
    public static final String STEP_COUNT = "step_count";
    public static final String SEMANTICS = "semantics";
    public static final String ROUNDING = "rounding";
    public static final String SCHEDULES = "schedules";
    public static final String GRAD_SCALER = "grad_scaler";
    public static final String REDUCE_LR_ON_PLATEAU = "reduce_lr_on_plateau";
    public static final String TORCH_VERSION = "torch_version";
    /** The name of a parameter's step count among its entries. */
    public static final String STEP = "step";
    /** The start of every state dict vecoptim writes, by which its abandoned temporary files are known. */
    public static final byte[] SIGNATURE = ("{\"" + Safetensors.METADATA + "\":{\"format\":\"" + FORMAT + "\"")
            .getBytes(StandardCharsets.UTF_8);
    /** The entries of {@code __metadata__} a state dict may have, {@code format} and {@code param_groups} always. */
    private static final List<String> METADATA_KEYS = List.of("format", PARAM_GROUPS, OPTIMIZERS, STEP_COUNT,
            SEMANTICS, ROUNDING, SCHEDULES, GRAD_SCALER, REDUCE_LR_ON_PLATEAU, TORCH_VERSION, Safetensors.CHECKSUM);
    private static final Set<String> NUMBER_DTYPES = Set.of("F32", "F64", "I32", "I64");
    private static final long HEADER_BASE_BYTES = 1 << 16;
    private static final long HEADER_GROUP_BYTES = 1 << 12;
    private static final long HEADER_PARAMETER_BYTES = 1 << 10;
    private static final long HEADER_ENTRY_BYTES = 256;
    private static final Pattern STATE_NAME = Pattern.compile("state\\.(0|[1-9][0-9]{0,9})\\.([A-Za-z_0-9]+)");

    private StateDictLayout() {
    }

    /** Checks an entry {@code state.<parameter>.<name>} of a parameter this optimizer has. */
    @FunctionalInterface
    public interface EntryCheck {
        /**
         * @throws RefusedFileException if parameter {@code parameter} keeps no entry {@code name}
         */
        void check(String tensor, int parameter, String name) throws RefusedFileException;
    }

    /** Refuses a file whose {@code __metadata__} is not a state dict's: its format, or an entry it has not. */
    public static void checkMetadata(Path file, Map<String, String> metadata) throws RefusedFileException {
        String format = metadata.get("format");
        if (!FORMAT.equals(format)) {
            throw Safetensors.refused(file, "its " + Safetensors.METADATA + " has no format \"" + FORMAT + "\""
                    + (format == null ? "" : " (it says \"" + format + "\")")
                    + ": it holds no optimizer's state (model weights?)");
        }
        for (String key : metadata.keySet()) {
            if (!METADATA_KEYS.contains(key)) {
                throw Safetensors.refused(file, "its " + Safetensors.METADATA + " has " + key + ", which a state dict"
                        + " does not have (it has " + String.join(", ", METADATA_KEYS) + ")");
            }
        }
    }

    /**
     * The most header bytes a state dict can need with {@code groups} groups and parameters of {@code entries}
     * entries each: generous per entry (a tensor's name, dtype, shape and offsets take about 100 bytes) and per
     * parameter (its index in {@code params}, and a name PyTorch 2.6 may add in {@code param_names}), so that a
     * file of something else is refused before a header of any size is read.
     */
    public static long maxHeaderBytes(int groups, List<Integer> entries) {
        long bytes = HEADER_BASE_BYTES + HEADER_GROUP_BYTES * groups;
        for (int parameterEntries : entries) {
            bytes += HEADER_PARAMETER_BYTES + HEADER_ENTRY_BYTES * parameterEntries;
        }
        return Math.min(bytes, Safetensors.MAX_HEADER_BYTES);
    }

    /** {@return the declared {@code step_count}, or null when the file has none} */
    public static Long declaredSteps(Path file, Map<String, String> metadata) throws RefusedFileException {
        String text = metadata.get(STEP_COUNT);
        if (text == null) {
            return null;
        }
        if (!text.matches("0|[1-9][0-9]*")) {
            throw Safetensors.refused(file, "its " + STEP_COUNT + " \"" + text + "\" is not a count");
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException beyondLong) {
            throw Safetensors.refused(file, "its " + STEP_COUNT + " " + text + " is beyond 2^63 - 1");
        }
    }

    /**
     * The tensors by parameter index and entry name, each checked by {@code check} as it is met: refused if one is
     * not named {@code state.<index>.<name>} or is of a parameter past the {@code parameters} this optimizer has.
     */
    public static Map<Integer, Map<String, Safetensors.Tensor>> byParameter(Path file, int parameters,
            Map<String, Safetensors.Tensor> tensors, EntryCheck check) throws RefusedFileException {
        Map<Integer, Map<String, Safetensors.Tensor>> state = new HashMap<>();
        for (Safetensors.Tensor tensor : tensors.values()) {
            Matcher name = STATE_NAME.matcher(tensor.name());
            if (!name.matches()) {
                throw Safetensors.refused(file, "tensor " + tensor.name()
                        + " is not named state.<parameter index>.<state name>");
            }
            long index = Long.parseLong(name.group(1));
            if (index >= parameters) {
                throw Safetensors.refused(file, "tensor " + tensor.name() + " is of parameter " + index
                        + ", and this optimizer has " + parameters);
            }
            check.check(tensor.name(), (int) index, name.group(2));
            state.computeIfAbsent((int) index, i -> new HashMap<>()).put(name.group(2), tensor);
        }
        return state;
    }

    /** Refuses {@code tensor} (named {@code name} in messages) unless it holds one number {@link #number} reads. */
    public static void checkOneNumber(Path file, String name, Safetensors.Tensor tensor) throws RefusedFileException {
        if (tensor.elements() != 1) {
            throw Safetensors.refused(file, name + " has " + tensor.elements() + " elements, not one");
        }
        if (!NUMBER_DTYPES.contains(tensor.dtype())) {
            throw Safetensors.refused(file, name + " is " + tensor.dtype() + ", not F32, F64, I32 or I64");
        }
    }

    /** The value of a tensor of one element, checked by {@link #checkOneNumber} (I64 beyond 2^53 rounded). */
    public static double number(Safetensors.Tensor tensor, MemorySegment data) {
        ByteOrder little = ByteOrder.LITTLE_ENDIAN;
        return switch (tensor.dtype()) {
            case "F32" -> data.get(LittleEndianElements.LAYOUT, tensor.begin());
            case "F64" -> data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(little), tensor.begin());
            case "I32" -> data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(little), tensor.begin());
            case "I64" -> data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(little), tensor.begin());
            default -> throw new IllegalStateException(tensor.dtype() + " was not checked");
        };
    }

    /**
     * The JSON list in {@code __metadata__}'s entry {@code key}, or null if there is none and it is not
     * {@code required}.
     */
    public static List<?> jsonList(Path file, Map<String, String> metadata, String key, boolean required)
            throws RefusedFileException {
        return json(file, metadata, key, required, List.class, "a JSON list");
    }

    /** The JSON object in {@code __metadata__}'s entry {@code key}, or null if there is none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> jsonObject(Path file, Map<String, String> metadata, String key)
            throws RefusedFileException {
        return json(file, metadata, key, false, Map.class, "a JSON object");
    }

    private static <T> T json(Path file, Map<String, String> metadata, String key, boolean required, Class<T> type,
                              String what) throws RefusedFileException {
        String text = metadata.get(key);
        if (text == null) {
            if (required) {
                throw Safetensors.refused(file, "its " + Safetensors.METADATA + " has no " + key);
            }
            return null;
        }
        try {
            Object value = Json.parse(text.getBytes(StandardCharsets.UTF_8));
            if (type.isInstance(value)) {
                return type.cast(value);
            }
            throw Safetensors.refused(file, "its " + key + " is not " + what);
        } catch (IllegalArgumentException malformed) {
            throw new RefusedFileException(file + ": its " + key + " is not JSON: " + malformed.getMessage(), malformed);
        }
    }
}
