package dev.vecoptim;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One case recorded by {@code src/test/python/make_golden.py}, from {@code torch.optim} or, for an optimizer from
 * outside it, from the reference implementation its declaration names: hyper-parameters, the initial parameter,
 * and per step the gradient given and the parameter, state buffers and scalars the recorded code produced; for an
 * optimizer with train and eval modes ({@link Algorithm#hasModes()}), also the parameter's eval value after the step,
 * {@link Step#evalParam()} (the recorded code moved it back to its train value before the next step).
 */
record GoldenCase(String name, Semantics semantics, String optimizer, Map<String, Double> hyperParameters,
                  float[] initialParam, List<Step> steps) {

    /**
     * One step's recording: {@code scalars} are those the recorded code keeps per parameter, as float32 tensors;
     * {@code evalParam} is null for an optimizer without modes.
     */
    record Step(float[] grad, float[] param, Map<String, float[]> state, Map<String, Float> scalars,
                float[] evalParam) {
    }

    /** The buffer of a recording that holds a parameter's eval value: make_golden.py's {@code EVAL_PARAM}. */
    private static final String EVAL_PARAM = "eval_param";

    /** The recordings, each of one PyTorch, by the semantics that reproduce it. */
    static final Map<Semantics, String> RESOURCES = Map.of(Semantics.PYTORCH_1_13, "/golden/pytorch-1.13.bin",
            Semantics.PYTORCH_2, "/golden/pytorch-2.6.bin");

    /** Every case of every recording, 1.13's first. */
    static List<GoldenCase> readAll() {
        List<GoldenCase> cases = new ArrayList<>(read(Semantics.PYTORCH_1_13));
        cases.addAll(read(Semantics.PYTORCH_2));
        return cases;
    }

    /**
     * The cases to replay under {@code semantics}: PyTorch's recording of that version, and the recording of every
     * optimizer from outside {@code torch.optim} under that version ({@code <Name>-<version>.bin}), or under both
     * where they wrote the same bytes ({@code <Name>.bin}, for an optimizer whose bits no semantics changes).
     */
    static List<GoldenCase> read(Semantics semantics) {
        String resource = RESOURCES.get(semantics);
        List<GoldenCase> cases = new ArrayList<>(read(semantics, resource, ""));
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            if (!kind.prototype().reproducesPyTorch()) {
                String ofVersion = "/golden/reference/" + kind.name() + "-" + version(resource) + ".bin";
                cases.addAll(read(semantics, GoldenCase.class.getResource(ofVersion) != null ? ofVersion
                        : "/golden/reference/" + kind.name() + ".bin",
                        " --reference " + kind.name() + " <its reference implementation>.py"));
            }
        }
        return cases;
    }

    /** The version of PyTorch's recording {@code resource}, as in pytorch-1.13.bin. */
    private static String version(String resource) {
        return resource.substring(resource.indexOf('-') + 1, resource.lastIndexOf('.'));
    }

    /**
     * PyTorch's recording of the version {@code semantics} reproduces, on tensors of a 16-bit {@code dtype}
     * ({@code make_golden.py --dtype}), and that of every optimizer from outside {@code torch.optim} on such tensors
     * under that version: every value a 16-bit one, widened to float.
     */
    static List<GoldenCase> read(Semantics semantics, dev.vecoptim.kernel.Format dtype) {
        String name = dtype.name().toLowerCase(java.util.Locale.ROOT);
        String resource = RESOURCES.get(semantics);
        List<GoldenCase> cases = new ArrayList<>(read(semantics, resource.replace(".bin", "-" + name + ".bin"),
                " --dtype " + name));
        // A reference's operations round 16-bit tensors as that PyTorch does.
        String version = version(resource);
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            if (!kind.prototype().reproducesPyTorch()) {
                cases.addAll(read(semantics, "/golden/reference/" + kind.name() + "-" + version + "-" + name + ".bin",
                        " --reference " + kind.name() + " <its reference implementation>.py --dtype " + name));
            }
        }
        return cases;
    }

    /**
     * PyTorch 2.6's recording of its {@code fused=True} Adam and AdamW on tensors of a 16-bit {@code dtype}
     * ({@code make_golden.py --fused}).
     */
    static List<GoldenCase> readFused(dev.vecoptim.kernel.Format dtype) {
        String name = dtype.name().toLowerCase(java.util.Locale.ROOT);
        return read(Semantics.PYTORCH_2, RESOURCES.get(Semantics.PYTORCH_2).replace(".bin", "-fused-" + name + ".bin"),
                " --fused " + name);
    }

    private static List<GoldenCase> read(Semantics semantics, String resource, String arguments) {
        try (InputStream in = GoldenCase.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(
                        resource + " is missing; run src/test/python/make_golden.py" + arguments);
            }
            ByteBuffer data = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            data.get(magic);
            if (!new String(magic, StandardCharsets.US_ASCII).equals("VOGOLD02")) {
                throw new IllegalStateException(resource + " is not a golden-vector file");
            }
            int count = data.getInt();
            List<GoldenCase> cases = new ArrayList<>(count);
            for (int c = 0; c < count; c++) {
                cases.add(read(semantics, data));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static GoldenCase read(Semantics semantics, ByteBuffer data) {
        String name = string(data);
        String optimizer = string(data);
        Map<String, Double> hyperParameters = new LinkedHashMap<>();
        for (int h = data.getShort(); h > 0; h--) {
            hyperParameters.put(string(data), data.getDouble());
        }
        int n = data.getInt();
        int stepCount = data.getShort();
        float[] initialParam = floats(data, n);
        List<Step> steps = new ArrayList<>(stepCount);
        for (int s = 0; s < stepCount; s++) {
            float[] grad = floats(data, n);
            float[] param = floats(data, n);
            Map<String, float[]> state = new LinkedHashMap<>();
            for (int k = data.getShort(); k > 0; k--) {
                state.put(string(data), floats(data, n));
            }
            Map<String, Float> scalars = new LinkedHashMap<>();
            for (int k = data.getShort(); k > 0; k--) {
                scalars.put(string(data), data.getFloat());
            }
            float[] evalParam = state.remove(EVAL_PARAM);
            steps.add(new Step(grad, param, state, scalars, evalParam));
        }
        return new GoldenCase(name, semantics, optimizer, hyperParameters, initialParam, steps);
    }

    private static String string(ByteBuffer data) {
        byte[] bytes = new byte[Short.toUnsignedInt(data.getShort())];
        data.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static float[] floats(ByteBuffer data, int n) {
        float[] values = new float[n];
        data.asFloatBuffer().get(values);
        data.position(data.position() + n * Float.BYTES);
        return values;
    }

    double hp(String key) {
        Double value = hyperParameters.get(key);
        if (value == null) {
            throw new IllegalStateException(name + " has no " + key);
        }
        return value;
    }

    boolean flag(String key) {
        return hp(key) != 0;
    }

    /**
     * How PyTorch's recordings spell each tuple: one number per element, by the names PyTorch's code gives them.
     * A reference's recording spells any tuple {@code name[0]}, {@code name[1]}, ...
     */
    private static final Map<String, List<String>> TUPLES = Map.of("betas", List.of("beta1", "beta2"),
            "etas", List.of("etaminus", "etaplus"), "step_sizes", List.of("step_size_min", "step_size_max"));

    /**
     * The recorded optimizer with its hyper-parameters, at the preferred width: each of PyTorch's names read from
     * the recording (a tuple such as {@code betas} from its elements, {@code beta1} and {@code beta2}).
     */
    Algorithm algorithm() {
        Algorithm prototype = TestedOptimizers.ALL.stream().filter(kind -> kind.goldenName().equals(optimizer))
                .findFirst().orElseThrow(() -> new IllegalStateException("unknown optimizer " + optimizer)).prototype();
        Map<String, Object> named = new java.util.LinkedHashMap<>();
        prototype.namedHyperParameters().forEach((key, value) -> named.put(key, switch (value) {
            case Boolean flag -> flag(key);
            case double[] tuple -> (hyperParameters.containsKey(key + "[0]")
                    ? java.util.stream.IntStream.range(0, tuple.length).mapToObj(e -> key + "[" + e + "]").toList()
                    : TUPLES.get(key)).stream().mapToDouble(this::hp).toArray();
            default -> hp(key);
        }));
        return prototype.withSemantics(semantics).withNamedHyperParameters(named);
    }

    @Override
    public String toString() {
        return semantics.version() + " " + name;
    }
}
