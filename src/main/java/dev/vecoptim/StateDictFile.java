package dev.vecoptim;

import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.Json;
import dev.vecoptim.io.LittleEndianFloats;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.Safetensors;
import dev.vecoptim.io.SafetensorsReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An optimizer's state laid out as PyTorch's {@code optimizer.state_dict()}, in a safetensors file
 * ({@link Safetensors}): what {@link Optimizer#saveStateDict} writes and {@link Optimizer#loadStateDict} reads.
 *
 * <pre>
 * tensors       state.&lt;i&gt;.&lt;name&gt;  parameter i's state buffer (exp_avg, ...): F32 of its element count
 *               state.&lt;i&gt;.step    its step count: F32 0-dim as PyTorch 2.x keeps it, so at most 2^24,
 *                                 where PyTorch's count stops (and every formula's); SGD keeps none
 *               state.&lt;i&gt;.&lt;name&gt;  its scalars (mu_product, eta, mu): F32 0-dim
 * __metadata__  format         "torch.optim state_dict"
 *               param_groups   JSON: PyTorch's param_groups, hyper-parameters by PyTorch's names, "params"
 *                              the indices i of each group's parameters
 *               optimizers     JSON: each group's optimizer, PyTorch's class name (checked when present)
 *               step_count     the optimizer's step count, decimal (vecoptim's; PyTorch keeps none)
 *               crc32          the file's checksum ({@link Safetensors}), which PyTorch's readers ignore
 * </pre>
 * Any other entry of {@code __metadata__} is refused, so that a misspelled one is never silently ignored.
 * Parameters are numbered as PyTorch numbers them: group by group, each group's parameters in order. A
 * parameter that has not stepped yet has no entries, as PyTorch creates state at a parameter's first step
 * (and would take, say, an ASGD {@code eta} written then for the one to use, or an SGD momentum buffer of
 * zeros for one to decay rather than a gradient to copy); Adagrad's are written all the same, as PyTorch
 * creates them with the optimizer and its step fails without them. A parameter without entries in a file
 * starts afresh when loaded.
 */
final class StateDictFile {
    static final String FORMAT = "torch.optim state_dict";
    private static final byte[] SIGNATURE = ("{\"" + Safetensors.METADATA + "\":{\"format\":\"" + FORMAT + "\"")
            .getBytes(StandardCharsets.UTF_8);
    private static final String STEP = "step";
    /** The entries of {@code __metadata__} a state dict may have, {@code format} and {@code param_groups} always. */
    private static final List<String> METADATA_KEYS = List.of("format", "param_groups", "optimizers", "step_count",
            StateDictGroups.SEMANTICS, StateDictGroups.SCHEDULES, StateDictGroups.TORCH_VERSION, Safetensors.CHECKSUM);
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");
    private static final Set<String> NUMBER_DTYPES = Set.of("F32", "F64", "I32", "I64");
    private static final long HEADER_BASE_BYTES = 1 << 16;
    private static final long HEADER_GROUP_BYTES = 1 << 12;
    private static final long HEADER_PARAMETER_BYTES = 1 << 10;
    private static final long HEADER_ENTRY_BYTES = 256;
    private static final Pattern STATE_NAME = Pattern.compile("state\\.(0|[1-9][0-9]{0,9})\\.([A-Za-z_0-9]+)");

    private StateDictFile() {
    }

    /**
     * Fails unless Jackson's streaming core, which reads and writes the header, can be loaded: called when an
     * optimizer is built, so that a class path without it fails then, not at the first save hours later.
     *
     * @throws IllegalStateException saying which artifact to add
     */
    static void requireJackson() {
        try {
            Class.forName("tools.jackson.core.json.JsonFactory", false, StateDictFile.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError missing) {
            throw new IllegalStateException("vecoptim's Optimizer needs Jackson's tools.jackson.core:jackson-core"
                    + " (3.x), a dependency of vecoptim that is missing from the class path: add it (Maven and Gradle"
                    + " bring it with vecoptim)", missing);
        }
    }

    static void save(Optimizer optimizer, Path file) throws IOException {
        List<Object> groups = new ArrayList<>();
        List<Object> optimizers = new ArrayList<>();
        List<Object> semantics = new ArrayList<>();
        List<Object> schedules = new ArrayList<>();
        long index = 0;
        for (ParameterGroup group : optimizer.groups()) {
            Map<String, Object> named = new LinkedHashMap<>(group.hyperParameters().namedHyperParameters());
            List<Long> indices = new ArrayList<>();
            for (int p = 0; p < group.parameters().size(); p++) {
                indices.add(index++);
            }
            named.put("params", indices);
            groups.add(named);
            optimizers.add(group.algorithm().name());
            semantics.add(group.algorithm().semantics().name());
            String schedule = SavedSchedule.describe(group.schedule());
            schedules.add(schedule.isEmpty() ? null : Json.parse(schedule.getBytes(StandardCharsets.UTF_8)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("param_groups", new String(Json.write(groups), StandardCharsets.UTF_8));
        metadata.put("optimizers", new String(Json.write(optimizers), StandardCharsets.UTF_8));
        metadata.put("step_count", Long.toString(optimizer.stepCount()));
        metadata.put(StateDictGroups.SEMANTICS, new String(Json.write(semantics), StandardCharsets.UTF_8));
        metadata.put(StateDictGroups.SCHEDULES, new String(Json.write(schedules), StandardCharsets.UTF_8));
        try (Arena arena = LittleEndianFloats.stagingArena()) {
            List<Safetensors.Output> tensors = new ArrayList<>();
            List<Parameter> parameters = Checkpoint.inGroupOrder(optimizer);
            for (int i = 0; i < parameters.size(); i++) {
                addState(tensors, "state." + i + ".", parameters.get(i), arena);
            }
            Safetensors.write(file, metadata, tensors, SIGNATURE);
        }
    }

    private static void addState(List<Safetensors.Output> tensors, String prefix, Parameter parameter, Arena arena) {
        Algorithm algorithm = parameter.group().algorithm();
        if (parameter.stepCount() == 0 && !algorithm.eagerState()) {
            return;
        }
        MemorySegment[] state = parameter.stateBuffers();
        List<String> names = parameter.stateNames();
        for (int s = 0; s < names.size(); s++) {
            tensors.add(new Safetensors.Output(prefix + names.get(s), new long[] {parameter.elementCount()},
                    state[s]));
        }
        if (algorithm.keepsStep()) {
            // PyTorch's count stops at 2^24, and every formula's with it (Algorithm.countedStep): so does the file's.
            float steps = Math.min(parameter.stepCount(), Algorithm.LAST_COUNTED_STEP);
            tensors.add(new Safetensors.Output(prefix + STEP, new long[0], arena.allocateFrom(ValueLayout.JAVA_FLOAT,
                    steps)));
        }
        List<String> scalars = parameter.scalarNames();
        for (int s = 0; s < scalars.size(); s++) {
            tensors.add(new Safetensors.Output(prefix + scalars.get(s), new long[0], state[names.size() + s]));
        }
    }

    static void load(Optimizer optimizer, Path path) throws IOException {
        load(optimizer, path, LittleEndianFloats::stagingArena, SafetensorsReader.FILE, LOG);
    }

    /**
     * {@link #load(Optimizer, Path)}, reading through channels of {@code opener} into memory of an arena of
     * {@code staging}: everything the header decides is decided before the data is read, and the data then
     * takes exactly the bytes of the state it restores.
     */
    static void load(Optimizer optimizer, Path path, Supplier<Arena> staging, SafetensorsReader.Opener opener,
                     System.Logger log) throws IOException {
        Path file = path.toAbsolutePath();
        List<Parameter> parameters = Checkpoint.inGroupOrder(optimizer);
        try (SafetensorsReader reader = SafetensorsReader.open(file, maxHeaderBytes(optimizer, parameters),
                "a state dict of this optimizer's " + parameters.size() + " parameters", opener,
                CheckpointReader.READ_BYTES);
             Arena arena = staging.get()) {
            Plan plan;
            try {
                plan = plan(file, optimizer, parameters, reader.header());
            } catch (RefusedFileException refused) {
                throw reader.refusal(refused);
            }
            MemorySegment data = reader.data(arena);
            long[] counts = new long[parameters.size()];
            long steps = plan.declaredSteps() != null ? plan.declaredSteps() : 0;
            for (int i = 0; i < counts.length; i++) {
                Map<String, Safetensors.Tensor> tensors = plan.state().getOrDefault(i, Map.of());
                counts[i] = checkValues(file, "state." + i, parameters.get(i), tensors, data, plan.declaredSteps());
                steps = plan.declaredSteps() != null ? steps : Math.max(steps, counts[i]);
            }
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > steps) {
                    throw refused(file, "state." + i + " has made " + counts[i] + " steps, more than the optimizer's "
                            + steps + " (step_count)");
                }
            }
            apply(optimizer, plan.hyperParameters(), parameters, plan.state(), counts, data, steps);
            for (String warning : plan.semanticsWarnings()) {
                log.log(System.Logger.Level.WARNING, file + ": " + warning);
            }
            SavedSchedule.apply(optimizer, plan.schedules(), file, log);
        }
    }

    /** What a file's header says to load: each group's hyper-parameters, each parameter's entries, the count. */
    private record Plan(List<Algorithm> hyperParameters, Map<Integer, Map<String, Safetensors.Tensor>> state,
                        Long declaredSteps, List<String> semanticsWarnings, List<SavedSchedule.Decision> schedules) {
    }

    /** Decides from the header alone whether the file fits this optimizer, and what it would load. */
    private static Plan plan(Path file, Optimizer optimizer, List<Parameter> parameters, Safetensors.Header header)
            throws RefusedFileException {
        Map<String, String> metadata = header.metadata();
        String format = metadata.get("format");
        if (!FORMAT.equals(format)) {
            throw refused(file, "its " + Safetensors.METADATA + " has no format \"" + FORMAT + "\""
                    + (format == null ? "" : " (it says \"" + format + "\")")
                    + ": it holds no optimizer's state (model weights?)");
        }
        for (String key : metadata.keySet()) {
            if (!METADATA_KEYS.contains(key)) {
                throw refused(file, "its " + Safetensors.METADATA + " has " + key + ", which a state dict does not"
                        + " have (it has " + String.join(", ", METADATA_KEYS) + ")");
            }
        }
        List<Algorithm> hyperParameters = StateDictGroups.hyperParameters(file, optimizer, metadata);
        Map<Integer, Map<String, Safetensors.Tensor>> state = stateByParameter(file, parameters, header.tensors());
        for (int i = 0; i < parameters.size(); i++) {
            checkEntries(file, "state." + i, parameters.get(i), state.getOrDefault(i, Map.of()));
        }
        return new Plan(hyperParameters, state, declaredSteps(file, metadata),
                StateDictGroups.semanticsWarnings(file, optimizer, metadata),
                StateDictGroups.schedules(file, optimizer, metadata));
    }

    /**
     * The most header bytes a state dict of these parameters can need: generous per entry (a tensor's name,
     * dtype, shape and offsets take about 100 bytes) and per parameter (its index in {@code params}, and a
     * name PyTorch 2.6 may add in {@code param_names}), so that a file of something else is refused before a
     * header of any size is read.
     */
    static long maxHeaderBytes(Optimizer optimizer, List<Parameter> parameters) {
        long bytes = HEADER_BASE_BYTES + HEADER_GROUP_BYTES * optimizer.groups().size();
        for (Parameter parameter : parameters) {
            bytes += HEADER_PARAMETER_BYTES + HEADER_ENTRY_BYTES * (keptNames(parameter).size());
        }
        return Math.min(bytes, Safetensors.MAX_HEADER_BYTES);
    }

    private static Long declaredSteps(Path file, Map<String, String> metadata) throws RefusedFileException {
        String text = metadata.get("step_count");
        if (text == null) {
            return null;
        }
        if (!text.matches("0|[1-9][0-9]*")) {
            throw refused(file, "its step_count \"" + text + "\" is not a count");
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException beyondLong) {
            throw refused(file, "its step_count " + text + " is beyond 2^63 - 1");
        }
    }

    private static Map<Integer, Map<String, Safetensors.Tensor>> stateByParameter(Path file,
            List<Parameter> parameters, Map<String, Safetensors.Tensor> tensors) throws RefusedFileException {
        Map<Integer, Map<String, Safetensors.Tensor>> state = new HashMap<>();
        for (Safetensors.Tensor tensor : tensors.values()) {
            Matcher name = STATE_NAME.matcher(tensor.name());
            if (!name.matches()) {
                throw refused(file, "tensor " + tensor.name() + " is not named state.<parameter index>.<state name>");
            }
            long index = Long.parseLong(name.group(1));
            if (index >= parameters.size()) {
                throw refused(file, "tensor " + tensor.name() + " is of parameter " + index + ", and this optimizer has "
                        + parameters.size());
            }
            Parameter parameter = parameters.get((int) index);
            Set<String> kept = keptNames(parameter);
            if (!kept.contains(name.group(2))) {
                throw refused(file, "tensor " + tensor.name() + ": " + parameter.label() + " ("
                        + parameter.group().algorithm().name() + ") keeps " + new TreeSet<>(kept));
            }
            state.computeIfAbsent((int) index, i -> new HashMap<>()).put(name.group(2), tensor);
        }
        return state;
    }

    /** The names of {@code parameter}'s entries in PyTorch's state: its buffers, its step, its scalars. */
    private static Set<String> keptNames(Parameter parameter) {
        Set<String> names = new TreeSet<>(parameter.stateNames());
        names.addAll(parameter.scalarNames());
        if (parameter.group().algorithm().keepsStep()) {
            names.add(STEP);
        }
        return names;
    }

    /** Checks what the header says of parameter {@code parameter}'s entries: their names, dtypes and sizes. */
    private static void checkEntries(Path file, String at, Parameter parameter, Map<String, Safetensors.Tensor> tensors)
            throws RefusedFileException {
        if (tensors.isEmpty()) {
            return;
        }
        Set<String> missing = keptNames(parameter);
        missing.removeAll(tensors.keySet());
        if (!missing.isEmpty()) {
            throw refused(file, at + " has " + new TreeSet<>(tensors.keySet()) + " but no " + missing);
        }
        for (String name : parameter.stateNames()) {
            Safetensors.Tensor buffer = tensors.get(name);
            if (!buffer.dtype().equals(Safetensors.F32) || buffer.elements() != parameter.elementCount()) {
                throw refused(file, at + "." + name + " is " + buffer.dtype() + " of " + buffer.elements()
                        + " elements, and " + parameter.label() + " keeps F32 of " + parameter.elementCount());
            }
        }
        for (String name : parameter.scalarNames()) {
            Safetensors.Tensor scalar = tensors.get(name);
            if (!scalar.dtype().equals(Safetensors.F32) && !scalar.dtype().equals("F64")) {
                throw refused(file, at + "." + name + " is " + scalar.dtype() + ", not F32 or F64");
            }
            checkOneNumber(file, at + "." + name, scalar);
        }
        if (parameter.group().algorithm().keepsStep()) {
            checkOneNumber(file, at + "." + STEP, tensors.get(STEP));
        }
    }

    /**
     * Checks the values of parameter {@code parameter}'s scalars and step, and returns its step count: its
     * {@code step}, or for SGD, which keeps none, the declared step count once its momentum buffer exists (at
     * least 1).
     */
    private static long checkValues(Path file, String at, Parameter parameter, Map<String, Safetensors.Tensor> tensors,
                                    MemorySegment data, Long declared) throws RefusedFileException {
        if (!tensors.isEmpty()) {
            for (String name : parameter.scalarNames()) {
                double value = number(tensors.get(name), data);
                if (Double.doubleToRawLongBits((float) value) != Double.doubleToRawLongBits(value)) {
                    throw refused(file, at + "." + name + " is " + value + ", which no float32 is");
                }
            }
        }
        if (!parameter.group().algorithm().keepsStep()) {
            long steps = declared != null ? declared : 0;
            return parameter.stateNames().isEmpty() ? steps : tensors.isEmpty() ? 0 : Math.max(steps, 1);
        }
        if (tensors.isEmpty()) {
            return 0;
        }
        double steps = number(tensors.get(STEP), data);
        if (!(steps >= 0 && steps == Math.rint(steps) && steps < 0x1p63)) {
            throw refused(file, at + "." + STEP + " is " + steps + ", not a step count");
        }
        return (long) steps;
    }

    /** Checks that {@code tensor} holds one number of a dtype {@link #number} reads. */
    private static void checkOneNumber(Path file, String name, Safetensors.Tensor tensor) throws RefusedFileException {
        if (tensor.elements() != 1) {
            throw refused(file, name + " has " + tensor.elements() + " elements, not one");
        }
        if (!NUMBER_DTYPES.contains(tensor.dtype())) {
            throw refused(file, name + " is " + tensor.dtype() + ", not F32, F64, I32 or I64");
        }
    }

    /** The value of a tensor of one element, checked by {@link #checkOneNumber} (I64 beyond 2^53 rounded). */
    private static double number(Safetensors.Tensor tensor, MemorySegment data) {
        ByteOrder little = ByteOrder.LITTLE_ENDIAN;
        return switch (tensor.dtype()) {
            case "F32" -> data.get(LittleEndianFloats.LAYOUT, tensor.begin());
            case "F64" -> data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(little), tensor.begin());
            case "I32" -> data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(little), tensor.begin());
            case "I64" -> data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(little), tensor.begin());
            default -> throw new IllegalStateException(tensor.dtype() + " was not checked");
        };
    }

    /** Copies what was checked into the optimizer; nothing here can fail. */
    private static void apply(Optimizer optimizer, List<Algorithm> hyperParameters, List<Parameter> parameters,
                              Map<Integer, Map<String, Safetensors.Tensor>> state, long[] counts, MemorySegment data,
                              long steps) {
        for (ParameterGroup group : optimizer.groups()) {
            group.restore(hyperParameters.get(group.index()));
        }
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            Map<String, Safetensors.Tensor> tensors = state.getOrDefault(i, Map.of());
            if (tensors.isEmpty()) {
                parameter.startState();
            } else {
                copyState(parameter, tensors, data);
            }
            parameter.stepCount(counts[i]);
        }
        optimizer.restored(steps);
    }

    private static void copyState(Parameter parameter, Map<String, Safetensors.Tensor> tensors, MemorySegment data) {
        MemorySegment[] buffers = parameter.stateBuffers();
        List<String> names = parameter.stateNames();
        for (int s = 0; s < names.size(); s++) {
            MemorySegment.copy(data, LittleEndianFloats.LAYOUT, tensors.get(names.get(s)).begin(), buffers[s], ValueLayout.JAVA_FLOAT,
                    0, parameter.elementCount());
        }
        List<String> scalars = parameter.scalarNames();
        for (int s = 0; s < scalars.size(); s++) {
            Safetensors.Tensor scalar = tensors.get(scalars.get(s));
            float value = scalar.dtype().equals(Safetensors.F32) ? data.get(LittleEndianFloats.LAYOUT, scalar.begin())
                    : (float) data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                            scalar.begin());
            Algorithm.scalar(buffers[names.size() + s], value);
        }
    }

    private static RefusedFileException refused(Path file, String reason) {
        return new RefusedFileException(file + ": " + reason);
    }
}
