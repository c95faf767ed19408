package dev.vecoptim.io;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.Master;
import dev.vecoptim.kernel.StochasticRounding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint's header says: the optimizer's step count and, per group, its optimizer, hyper-parameters,
 * schedule and parameters. Written in format 8; formats 1 to 7 are still read. All numbers little-endian; a
 * string is a u16 byte length and its UTF-8 bytes, a text a u32 byte length and its UTF-8 bytes.
 *
 * <pre>
 * format 8:  format 7, and after the ReduceLROnPlateau: u8 train mode (1: the parameters are at their train values,
 *            0: at their eval values, for an optimizer with modes such as Schedule-Free's); formats 1 to 7 train
 * format 7:  format 6, and after the grad scaler: text ReduceLROnPlateau (its state dict as JSON, by PyTorch's names,
 *            or empty for none); formats 1 to 6 hold none
 * format 6:  format 5, and per group after its master weights: u8 stochastic rounding (1: its bfloat16 state
 *            rounds stochastically, and an i64 seed follows); formats 1 to 5 round to nearest; after the groups: u8
 *            grad scaler (1: a GradScaler's state follows, as a u32 count of named values, each a string name and
 *            a value as a hyper-parameter's)
 * format 5:  format 4, and per group after its u8 fused: string master weights (NONE, FLOAT32 or SPLIT); per
 *            parameter after its state dtype: string master (NONE, FLOAT32: the payload holds a float32 master after
 *            its state buffers; SPLIT: it holds a split master's lower 16 bits there, 2 bytes an element); formats 1
 *            to 4 keep no master
 * format 4:  format 3, and per group after its schedule: u8 fused (1: its updates of 16-bit tensors round once);
 *            per parameter after its u8 values: string dtype (FLOAT32, BFLOAT16 or FLOAT16: what its values hold,
 *            so its size counts elements of it), string state dtype (what its state buffers hold); formats 1 to 3
 *            are not fused and all FLOAT32
 * format 3:  format 2, and per group after its semantics: string schedule (the group's learning-rate schedule as JSON,
 *            or empty for none); per parameter after its scalars: u8 values (1: the payload holds its values after its
 *            state buffers, as it does for a parameter in memory the optimizer owns)
 * format 2:  u64 optimizer steps, u32 groups, and per group:
 *              string optimizer (PyTorch's class name: SGD, RMSprop, Adam, AdamW, Adagrad, NAdam, ASGD, ...)
 *              string semantics (PYTORCH_2 or PYTORCH_1_13: whose bits its updates reproduce)
 *              u32 hyper-parameters, each: string name (PyTorch's), u8 type and value:
 *                  1 f64 | 2 u8 boolean (0 or 1) | 3 u32 count and that many f64 (a tuple, e.g. betas)
 *              u32 parameters, each: u64 floats, u64 steps,
 *                  u32 state buffers, each: string name (PyTorch's, e.g. exp_avg), in payload order
 *                  u32 scalars, each: string name (PyTorch's, e.g. mu_product), f64 value (a float's)
 * format 1:  u8 optimizer (1 SGD, 2 RMSprop, 3 Adam/AdamW), u64 optimizer steps, u32 groups, and per group:
 *              six f64 and three u8 whose meaning depends on the optimizer (see {@link #readVersion1}),
 *              u32 parameters, each: u64 floats, u64 steps; every group is of PYTORCH_1_13's semantics
 * </pre>
 */
public record CheckpointHeader(long steps, List<Group> groups, Map<String, Object> gradScaler, String plateau,
                               boolean training) implements CheckpointReader.Header {
    /** The semantics of every group of format 1, which knew only PyTorch 1.13's: {@code Semantics}' name for it. */
    public static final String FORMAT_1_SEMANTICS = "PYTORCH_1_13";
    private static final byte NUMBER = 1;
    private static final byte FLAG = 2;
    private static final byte TUPLE = 3;
    /** Format 1's six numbers and three flags per group, by optimizer code 1, 2, 3; the rest unused. */
    private static final String[][] VERSION_1_NUMBERS = {
        {"lr", "momentum", "dampening", "weight_decay"},
        {"lr", "alpha", "eps", "weight_decay", "momentum"},
        {"lr", "beta1", "beta2", "eps", "weight_decay"},
    };
    private static final String[][] VERSION_1_FLAGS = {{"nesterov", "maximize"}, {"centered", "maximize"},
        {"amsgrad", "maximize"}};

    /** A header without a GradScaler's or a ReduceLROnPlateau's state, in train mode. */
    public CheckpointHeader(long steps, List<Group> groups) {
        this(steps, groups, null, "", true);
    }

    /**
     * A parameter group as the file holds it: its schedule "" when it has none (or the file is older), its master
     * weights those its 16-bit parameters keep, its stochastic rounding null where its state rounds to nearest.
     */
    public record Group(String optimizer, String semantics, boolean fused, Map<String, Object> hyperParameters,
                        String schedule, List<Entry> parameters, Master masterWeights,
                        StochasticRounding stochasticRounding) {
    }

    /**
     * A parameter as the file holds it: its size in elements, its dtype and its state buffers', its step count, its
     * state buffers' names, its scalars, whether the payload holds its values too, and its master.
     */
    public record Entry(long elements, Format dtype, Format stateDtype, long steps, List<String> stateNames,
                        Map<String, Double> scalars, boolean values, Master master) {
    }

    /**
     * The state buffers of a group of format 1, which named none: those its optimizer keeps with its
     * hyper-parameters (by PyTorch's names). Format 1 knew SGD, RMSprop, Adam and AdamW.
     */
    @FunctionalInterface
    public interface Format1StateNames {
        /**
         * {@return the state buffers' names, in payload order}
         *
         * @throws IllegalArgumentException if the hyper-parameters are not valid for {@code optimizer}
         */
        List<String> of(String optimizer, Map<String, Object> hyperParameters);
    }

    /** The bytes of every state buffer the header describes. */
    @Override
    public long payloadBytes() {
        long bytes = 0;
        for (Group group : groups) {
            for (Entry parameter : group.parameters()) {
                long perElement = Math.addExact(Math.multiplyExact((long) parameter.stateNames().size(),
                        parameter.stateDtype().bytes()), (parameter.values() ? parameter.dtype().bytes() : 0)
                        + parameter.master().bytes());
                bytes = Math.addExact(bytes, Math.multiplyExact(parameter.elements(), perElement));
            }
        }
        return bytes;
    }

    /** {@return this header in the current format, {@link CheckpointReader#VERSION}} */
    public ByteBuffer write() {
        Writer out = new Writer();
        out.u64(steps);
        out.u32(groups.size());
        for (Group group : groups) {
            out.string(group.optimizer());
            out.string(group.semantics());
            out.string(group.schedule());
            out.flag(group.fused());
            out.string(group.masterWeights().name());
            out.flag(group.stochasticRounding() != null);
            if (group.stochasticRounding() != null) {
                out.u64(group.stochasticRounding().seed());
            }
            out.named(group.hyperParameters());
            out.u32(group.parameters().size());
            for (Entry parameter : group.parameters()) {
                out.u64(parameter.elements());
                out.u64(parameter.steps());
                out.u32(parameter.stateNames().size());
                parameter.stateNames().forEach(out::string);
                out.u32(parameter.scalars().size());
                parameter.scalars().forEach((name, value) -> {
                    out.string(name);
                    out.f64(value);
                });
                out.flag(parameter.values());
                out.string(parameter.dtype().name());
                out.string(parameter.stateDtype().name());
                out.string(parameter.master().name());
            }
        }
        out.flag(gradScaler != null);
        if (gradScaler != null) {
            out.named(gradScaler);
        }
        out.text(plateau);
        out.flag(training);
        return out.bytes.flip();
    }

    /**
     * Reads a header of format {@code version} (1 to {@link CheckpointReader#VERSION}) that fills {@code in} exactly;
     * {@code format1} names the state buffers of a format 1 file.
     *
     * @throws MalformedHeaderException if it is not a well-formed header
     */
    public static CheckpointHeader read(int version, ByteBuffer in, Format1StateNames format1)
            throws MalformedHeaderException {
        in.order(ByteOrder.LITTLE_ENDIAN);
        try {
            CheckpointHeader header = version == 1 ? readVersion1(in, format1) : readVersion2On(in, version);
            if (in.hasRemaining()) {
                throw new MalformedHeaderException(in.remaining() + " header bytes are left over");
            }
            header.payloadBytes();
            return header;
        } catch (java.nio.BufferUnderflowException truncated) {
            throw new MalformedHeaderException("its header ends too early");
        } catch (ArithmeticException overflow) {
            throw new MalformedHeaderException("its header describes more than 2^63 bytes");
        }
    }

    private static CheckpointHeader readVersion2On(ByteBuffer in, int version) throws MalformedHeaderException {
        long steps = in.getLong();
        int groupCount = count(in, "groups");
        List<Group> groups = new ArrayList<>();
        for (int g = 0; g < groupCount; g++) {
            String optimizer = string(in);
            String semantics = string(in);
            String schedule = version >= 3 ? string(in) : "";
            boolean fused = version >= 4 && flag(in);
            Master masterWeights = version >= 5 ? master(in, g) : Master.NONE;
            StochasticRounding stochasticRounding = version >= 6 && flag(in) ? new StochasticRounding(in.getLong())
                    : null;
            Map<String, Object> hyperParameters = named(in, "group " + g, "hyper-parameters");
            List<Entry> parameters = new ArrayList<>();
            for (int p = count(in, "parameters"); p > 0; p--) {
                long elements = in.getLong();
                long parameterSteps = in.getLong();
                List<String> stateNames = new ArrayList<>();
                for (int s = count(in, "state buffers"); s > 0; s--) {
                    stateNames.add(string(in));
                }
                Map<String, Double> scalars = new LinkedHashMap<>();
                for (int s = count(in, "scalars"); s > 0; s--) {
                    String name = string(in);
                    if (scalars.put(name, in.getDouble()) != null) {
                        throw new MalformedHeaderException("a parameter of group " + g + " holds the scalar " + name + " twice");
                    }
                }
                boolean values = version >= 3 && flag(in);
                Format dtype = version >= 4 ? dtype(in, g) : Format.FLOAT32;
                Format stateDtype = version >= 4 ? dtype(in, g) : Format.FLOAT32;
                Master master = version >= 5 ? master(in, g) : Master.NONE;
                if (elements < 0) {
                    throw new MalformedHeaderException("a parameter of group " + g + " has a negative size");
                }
                parameters.add(new Entry(elements, dtype, stateDtype, parameterSteps, List.copyOf(stateNames),
                        Collections.unmodifiableMap(scalars), values, master));
            }
            groups.add(new Group(optimizer, semantics, fused, hyperParameters, schedule, parameters, masterWeights,
                    stochasticRounding));
        }
        Map<String, Object> gradScaler = version >= 6 && flag(in) ? named(in, "the GradScaler", "values") : null;
        String plateau = version >= 7 ? text(in) : "";
        boolean training = version < 8 || flag(in);
        return new CheckpointHeader(steps, groups, gradScaler, plateau, training);
    }

    /** A u32 count of named values, each a string name and a value; {@code owner} names none twice. */
    private static Map<String, Object> named(ByteBuffer in, String owner, String what) throws MalformedHeaderException {
        Map<String, Object> named = new LinkedHashMap<>();
        for (int h = count(in, what); h > 0; h--) {
            String name = string(in);
            if (named.put(name, value(in)) != null) {
                throw new MalformedHeaderException(owner + " names " + name + " twice");
            }
        }
        return named;
    }

    /**
     * Format 1 stored six f64 and three u8 per group by position: SGD lr, momentum, dampening, weight_decay,
     * 0, 0, nesterov, maximize, 0; RMSprop lr, alpha, eps, weight_decay, momentum, 0, centered, maximize, 0;
     * Adam lr, beta1, beta2, eps, weight_decay, 0, amsgrad, maximize, decoupled (AdamW). It named no state
     * buffer: they are those the hyper-parameters keep.
     */
    private static CheckpointHeader readVersion1(ByteBuffer in, Format1StateNames format1)
            throws MalformedHeaderException {
        int family = in.get();
        long steps = in.getLong();
        int groupCount = count(in, "groups");
        if (family == 0 && groupCount > 0 || family < 0 || family > 3) {
            throw new MalformedHeaderException("its optimizer code " + family + " is unknown");
        }
        List<Group> groups = new ArrayList<>();
        for (int g = 0; g < groupCount; g++) {
            double[] numbers = new double[6];
            for (int i = 0; i < numbers.length; i++) {
                numbers[i] = in.getDouble();
            }
            boolean[] flags = {flag(in), flag(in), flag(in)};
            String optimizer = family == 3 ? (flags[2] ? "AdamW" : "Adam") : family == 2 ? "RMSprop" : "SGD";
            Map<String, Object> named = new LinkedHashMap<>();
            String[] numberNames = VERSION_1_NUMBERS[family - 1];
            for (int i = 0; i < numberNames.length; i++) {
                named.put(numberNames[i], numbers[i]);
            }
            String[] flagNames = VERSION_1_FLAGS[family - 1];
            for (int i = 0; i < flagNames.length; i++) {
                named.put(flagNames[i], flags[i]);
            }
            if (named.containsKey("beta1")) {
                named.put("betas", new double[] {(double) named.remove("beta1"), (double) named.remove("beta2")});
            }
            List<String> stateNames;
            try {
                stateNames = format1.of(optimizer, named);
            } catch (IllegalArgumentException invalid) {
                throw new MalformedHeaderException("group " + g + " holds invalid hyper-parameters: "
                        + invalid.getMessage());
            }
            List<Entry> parameters = new ArrayList<>();
            for (int p = count(in, "parameters"); p > 0; p--) {
                long floats = in.getLong();
                if (floats < 0) {
                    throw new MalformedHeaderException("a parameter of group " + g + " has a negative size");
                }
                parameters.add(new Entry(floats, Format.FLOAT32, Format.FLOAT32, in.getLong(), stateNames, Map.of(),
                        false, Master.NONE));
            }
            groups.add(new Group(optimizer, FORMAT_1_SEMANTICS, false, named, "", parameters, Master.NONE, null));
        }
        return new CheckpointHeader(steps, groups);
    }

    private static Format dtype(ByteBuffer in, int group) throws MalformedHeaderException {
        String name = string(in);
        for (Format dtype : Format.values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        throw new MalformedHeaderException("a parameter of group " + group + " has the unknown dtype " + name);
    }

    private static Master master(ByteBuffer in, int group) throws MalformedHeaderException {
        String name = string(in);
        for (Master master : Master.values()) {
            if (master.name().equals(name)) {
                return master;
            }
        }
        throw new MalformedHeaderException("group " + group + " names the unknown master weights " + name);
    }

    private static int count(ByteBuffer in, String what) throws MalformedHeaderException {
        int count = in.getInt();
        if (count < 0) {
            throw new MalformedHeaderException("it counts " + Integer.toUnsignedString(count) + " " + what);
        }
        return count;
    }

    private static boolean flag(ByteBuffer in) throws MalformedHeaderException {
        byte flag = in.get();
        if (flag != 0 && flag != 1) {
            throw new MalformedHeaderException("it holds a boolean byte of " + flag + ", not 0 or 1");
        }
        return flag == 1;
    }

    private static String string(ByteBuffer in) {
        byte[] utf8 = new byte[Short.toUnsignedInt(in.getShort())];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer in) throws MalformedHeaderException {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new MalformedHeaderException("it holds a text of " + Integer.toUnsignedString(length) + " bytes, "
                    + "more than is left of it");
        }
        byte[] utf8 = new byte[length];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer in) throws MalformedHeaderException {
        byte type = in.get();
        return switch (type) {
            case NUMBER -> in.getDouble();
            case FLAG -> flag(in);
            case TUPLE -> {
                int count = count(in, "tuple entries");
                if (count > in.remaining() / Double.BYTES) {
                    throw new java.nio.BufferUnderflowException();
                }
                double[] tuple = new double[count];
                for (int i = 0; i < count; i++) {
                    tuple[i] = in.getDouble();
                }
                yield tuple;
            }
            default -> throw new MalformedHeaderException("it holds a value of unknown type " + type);
        };
    }

    /** Grows as written: the header's size is known only once it is. */
    private static final class Writer {
        private ByteBuffer bytes = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

        void u32(int value) {
            room(Integer.BYTES).putInt(value);
        }

        void u64(long value) {
            room(Long.BYTES).putLong(value);
        }

        void f64(double value) {
            room(Double.BYTES).putDouble(value);
        }

        void flag(boolean value) {
            room(1).put((byte) (value ? 1 : 0));
        }

        void string(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            if (utf8.length > 0xFFFF) {
                throw new IllegalArgumentException("a checkpoint holds strings of at most 65535 bytes, and this one has "
                        + utf8.length + ": " + text.substring(0, 80) + "...");
            }
            room(Short.BYTES + utf8.length).putShort((short) utf8.length).put(utf8);
        }

        void text(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            room(Integer.BYTES + utf8.length).putInt(utf8.length).put(utf8);
        }

        void named(Map<String, Object> values) {
            u32(values.size());
            values.forEach((name, value) -> {
                string(name);
                value(value);
            });
        }

        void value(Object value) {
            switch (value) {
                case Double number -> {
                    room(1).put(NUMBER);
                    f64(number);
                }
                case Boolean flag -> {
                    room(1).put(FLAG);
                    flag(flag);
                }
                case double[] tuple -> {
                    room(1).put(TUPLE);
                    u32(tuple.length);
                    for (double entry : tuple) {
                        f64(entry);
                    }
                }
                default -> throw new IllegalArgumentException("no encoding for " + value);
            }
        }

        private ByteBuffer room(int more) {
            if (bytes.remaining() < more) {
                bytes = ByteBuffer.allocate(Math.max(2 * bytes.capacity(), bytes.position() + more))
                        .order(ByteOrder.LITTLE_ENDIAN).put(bytes.flip());
            }
            return bytes;
        }
    }
}
