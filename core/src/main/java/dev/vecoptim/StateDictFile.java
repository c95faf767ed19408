package dev.vecoptim;

import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.Json;
import dev.vecoptim.io.LittleEndianElements;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.io.Safetensors;
import dev.vecoptim.io.SafetensorsReader;
import dev.vecoptim.io.StateDictLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * An optimizer's state as PyTorch's {@code optimizer.state_dict()}, in a safetensors file laid out as
 * {@link StateDictLayout} says: what {@link Optimizer#saveStateDict} writes and {@link Optimizer#loadStateDict}
 * reads.
 *
 * <pre>
 * state.&lt;i&gt;.&lt;name&gt;  parameter i's state buffer (exp_avg, ...): of its element count, in its dtype (F32, BF16
 *                   or F16, as PyTorch's state is of its parameter's dtype)
 * state.&lt;i&gt;.step    its step count: F32 0-dim as PyTorch 2.x keeps it, so at most 2^24, where PyTorch's
 *                   count stops (and every formula's); SGD keeps none
 * state.&lt;i&gt;.&lt;name&gt;  its scalars (mu_product, eta, mu): F32 0-dim; F64 for a double one (Algorithm.scalarBytes)
 * param_groups      hyper-parameters by PyTorch's names, "params" the indices i of each group's parameters
 *                   ({@link StateDictGroups}), and the state a reference keeps there ({@link GroupState})
 * step_count        the optimizer's step count (vecoptim's; PyTorch keeps none)
 * </pre>
 * Parameters are numbered as PyTorch numbers them: group by group, each group's parameters in order. A
 * parameter that has not stepped yet has no entries, as PyTorch creates state at a parameter's first step
 * (and would take, say, an ASGD {@code eta} written then for the one to use, or an SGD momentum buffer of
 * zeros for one to decay rather than a gradient to copy); Adagrad's are written all the same, as PyTorch
 * creates them with the optimizer and its step fails without them. A parameter without entries in a file
 * starts afresh when loaded.
 */
final class StateDictFile {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");
    private static final String STEP = StateDictLayout.STEP;

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

    /** Saves {@code optimizer}, and {@code scaler}'s state ({@code grad_scaler}) unless it is null. */
    static void save(Optimizer optimizer, Path file, GradScaler scaler) throws IOException {
        List<Object> groups = new ArrayList<>();
        List<Object> optimizers = new ArrayList<>();
        List<Object> semantics = new ArrayList<>();
        List<Object> roundings = new ArrayList<>();
        List<Object> schedules = new ArrayList<>();
        long index = 0;
        for (ParameterGroup group : optimizer.groups()) {
            Map<String, Object> named = new LinkedHashMap<>(group.hyperParameters().namedHyperParameters());
            List<Long> indices = new ArrayList<>();
            for (int p = 0; p < group.parameters().size(); p++) {
                indices.add(index++);
            }
            named.put("params", indices);
            named.putAll(GroupState.entries(group, optimizer.training()));
            groups.add(named);
            optimizers.add(group.algorithm().name());
            semantics.add(group.algorithm().semantics().name());
            roundings.add(StateDictGroups.rounding(group.algorithm()));
            String schedule = SavedSchedule.describe(group.schedule());
            schedules.add(schedule.isEmpty() ? null : Json.parse(schedule.getBytes(StandardCharsets.UTF_8)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", StateDictLayout.FORMAT);
        metadata.put(StateDictLayout.PARAM_GROUPS, new String(Json.write(groups), StandardCharsets.UTF_8));
        metadata.put(StateDictLayout.OPTIMIZERS, new String(Json.write(optimizers), StandardCharsets.UTF_8));
        metadata.put(StateDictLayout.STEP_COUNT, Long.toString(optimizer.stepCount()));
        metadata.put(StateDictLayout.SEMANTICS, new String(Json.write(semantics), StandardCharsets.UTF_8));
        metadata.put(StateDictLayout.ROUNDING, new String(Json.write(roundings), StandardCharsets.UTF_8));
        metadata.put(StateDictLayout.SCHEDULES, new String(Json.write(schedules), StandardCharsets.UTF_8));
        String plateau = SavedPlateau.describe(optimizer);
        if (!plateau.isEmpty()) {
            metadata.put(StateDictLayout.REDUCE_LR_ON_PLATEAU, plateau);
        }
        if (scaler != null) {
            metadata.put(StateDictLayout.GRAD_SCALER,
                    new String(Json.write(scaler.stateDict()), StandardCharsets.UTF_8));
        }
        try (Arena arena = LittleEndianElements.stagingArena()) {
            List<Safetensors.Output> tensors = new ArrayList<>();
            List<Parameter> parameters = Checkpoint.inGroupOrder(optimizer);
            for (int i = 0; i < parameters.size(); i++) {
                addState(tensors, "state." + i + ".", parameters.get(i), arena);
            }
            Safetensors.write(file, metadata, tensors, StateDictLayout.SIGNATURE);
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
            tensors.add(new Safetensors.Output(prefix + names.get(s), parameter.stateDtype().safetensorsName(),
                    new long[] {parameter.elementCount()}, state[s]));
        }
        MasterWeights master = parameter.masterWeights();
        if (master != MasterWeights.NONE) {
            tensors.add(new Safetensors.Output(prefix + master.stateName(), master.bufferDtype().safetensorsName(),
                    new long[] {parameter.elementCount()}, parameter.masterBuffer()));
        }
        if (algorithm.keepsStep()) {
            // PyTorch's count stops at 2^24, and every formula's with it (Algorithm.countedStep): so does the file's.
            float steps = Math.min(parameter.stepCount(), Algorithm.LAST_COUNTED_STEP);
            tensors.add(new Safetensors.Output(prefix + STEP, Safetensors.F32, new long[0],
                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, steps)));
        }
        List<String> scalars = parameter.scalarNames();
        for (int s = 0; s < scalars.size(); s++) {
            tensors.add(new Safetensors.Output(prefix + scalars.get(s), algorithm.scalarBytes().get(s) == Double.BYTES
                    ? Safetensors.F64 : Safetensors.F32, new long[0], state[names.size() + s]));
        }
    }

    /** Loads {@code optimizer}, and {@code scaler} unless it is null, from {@code path}. */
    static void load(Optimizer optimizer, Path path, GradScaler scaler) throws IOException {
        load(optimizer, path, scaler, LittleEndianElements::stagingArena, SafetensorsReader.FILE, LOG);
    }

    /** Loads {@code optimizer} alone, as the load with a scaler does. */
    static void load(Optimizer optimizer, Path path, Supplier<Arena> staging, SafetensorsReader.Opener opener,
                     System.Logger log) throws IOException {
        load(optimizer, path, null, staging, opener, log);
    }

    /**
     * Loads {@code optimizer} and {@code scaler} (or null), reading through channels of {@code opener} into memory of
     * an arena of {@code staging}: everything the header decides is decided before the data is read, and the data
     * then takes exactly the bytes of the state it restores.
     */
    static void load(Optimizer optimizer, Path path, GradScaler scaler, Supplier<Arena> staging,
                     SafetensorsReader.Opener opener, System.Logger log) throws IOException {
        Path file = path.toAbsolutePath();
        List<Parameter> parameters = Checkpoint.inGroupOrder(optimizer);
        try (SafetensorsReader reader = SafetensorsReader.open(file, maxHeaderBytes(optimizer, parameters),
                "a state dict of this optimizer's " + parameters.size() + " parameters", opener,
                CheckpointReader.READ_BYTES);
             Arena arena = staging.get()) {
            Plan plan;
            try {
                plan = plan(file, optimizer, scaler, parameters, reader.header());
            } catch (RefusedFileException refused) {
                throw reader.refusal(refused);
            }
            MemorySegment data = reader.data(arena);
            long[] counts = new long[parameters.size()];
            long steps = plan.declaredSteps() != null ? plan.declaredSteps() : 0;
            for (int i = 0; i < counts.length; i++) {
                Map<String, Safetensors.Tensor> tensors = plan.state().getOrDefault(i, Map.of());
                counts[i] = checkValues(file, "state." + i, parameters.get(i), tensors, data, plan.declaredSteps(),
                        plan.ofGroup(parameters.get(i)));
                steps = plan.declaredSteps() != null ? steps : Math.max(steps, counts[i]);
            }
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > steps) {
                    throw refused(file, "state." + i + " has made " + counts[i] + " steps, more than the optimizer's "
                            + steps + " (step_count)");
                }
            }
            apply(optimizer, plan, parameters, counts, data, steps);
            if (scaler != null) {
                scaler.restore(plan.gradScaler());
            }
            SavedPlateau.restore(plan.plateau(), optimizer);
            for (String warning : plan.warnings()) {
                log.log(System.Logger.Level.WARNING, file + ": " + warning);
            }
            SavedSchedule.apply(optimizer, plan.schedules(), file, log);
        }
    }

    /**
     * What a file's header says to load: each group's hyper-parameters, each parameter's entries, the count; the
     * state its groups hold for their parameters ({@link GroupState}) and the mode, null without modes.
     */
    private record Plan(List<Algorithm> hyperParameters, Map<Integer, Map<String, Safetensors.Tensor>> state,
                        Long declaredSteps, List<String> warnings, List<SavedSchedule.Decision> schedules,
                        Map<String, Object> gradScaler, Map<String, Object> plateau, List<Map<String, Double>> groupState,
                        Boolean trainMode) {
        /** The state {@code parameter}'s group holds for it, by per-parameter name: where the group's entries win. */
        Map<String, Double> ofGroup(Parameter parameter) {
            return groupState.get(parameter.group().index());
        }
    }

    /** Decides from the header alone whether the file fits this optimizer, and what it would load. */
    private static Plan plan(Path file, Optimizer optimizer, GradScaler scaler, List<Parameter> parameters,
                             Safetensors.Header header) throws RefusedFileException {
        Map<String, String> metadata = header.metadata();
        StateDictLayout.checkMetadata(file, metadata);
        Map<String, Object> gradScaler = StateDictLayout.jsonObject(file, metadata, StateDictLayout.GRAD_SCALER);
        String scalerRefusal = GradScaler.fileRefusal("the state dict", gradScaler, scaler);
        if (scalerRefusal != null) {
            throw Safetensors.refused(file, scalerRefusal);
        }
        Map<String, Object> plateau = StateDictLayout.jsonObject(file, metadata, StateDictLayout.REDUCE_LR_ON_PLATEAU);
        String plateauRefusal = SavedPlateau.refusal("the state dict", plateau, optimizer);
        if (plateauRefusal != null) {
            throw Safetensors.refused(file, plateauRefusal);
        }
        List<Algorithm> hyperParameters = StateDictGroups.hyperParameters(file, optimizer, metadata);
        List<?> groups = StateDictLayout.jsonList(file, metadata, StateDictLayout.PARAM_GROUPS, true);
        List<Map<String, Double>> groupState = GroupState.read(file, optimizer, groups);
        Map<Integer, Map<String, Safetensors.Tensor>> state = stateByParameter(file, parameters, header.tensors());
        for (int i = 0; i < parameters.size(); i++) {
            checkEntries(file, "state." + i, parameters.get(i), state.getOrDefault(i, Map.of()),
                    groupState.get(parameters.get(i).group().index()).keySet());
        }
        return new Plan(hyperParameters, state, StateDictLayout.declaredSteps(file, metadata),
                StateDictGroups.warnings(file, optimizer, metadata),
                StateDictGroups.schedules(file, optimizer, metadata), gradScaler, plateau, groupState,
                GroupState.trainMode(file, optimizer, groups));
    }

    /** The most header bytes a state dict of these parameters can need ({@link StateDictLayout#maxHeaderBytes}). */
    static long maxHeaderBytes(Optimizer optimizer, List<Parameter> parameters) {
        return StateDictLayout.maxHeaderBytes(optimizer.groups().size(),
                parameters.stream().map(parameter -> keptNames(parameter).size()).toList());
    }

    private static Map<Integer, Map<String, Safetensors.Tensor>> stateByParameter(Path file,
            List<Parameter> parameters, Map<String, Safetensors.Tensor> tensors) throws RefusedFileException {
        return StateDictLayout.byParameter(file, parameters.size(), tensors, (tensor, index, name) -> {
            Parameter parameter = parameters.get(index);
            Set<String> kept = keptNames(parameter);
            if (!kept.contains(name)) {
                throw refused(file, "tensor " + tensor + ": " + parameter.label() + " ("
                        + parameter.group().algorithm().name() + ") keeps " + new TreeSet<>(kept));
            }
        });
    }

    /**
     * The names of {@code parameter}'s entries in PyTorch's state: its buffers, its step, its scalars, and its
     * master's buffer if it has one.
     */
    private static Set<String> keptNames(Parameter parameter) {
        Set<String> names = new TreeSet<>(parameter.stateNames());
        names.addAll(parameter.scalarNames());
        if (parameter.masterWeights() != MasterWeights.NONE) {
            names.add(parameter.masterWeights().stateName());
        }
        if (parameter.group().algorithm().keepsStep()) {
            names.add(STEP);
        }
        return names;
    }

    /**
     * Checks what the header says of parameter {@code parameter}'s entries: their names, dtypes and sizes. Those its
     * group holds ({@code inGroup}) it may lack.
     */
    private static void checkEntries(Path file, String at, Parameter parameter, Map<String, Safetensors.Tensor> tensors,
                                     Set<String> inGroup) throws RefusedFileException {
        if (tensors.isEmpty()) {
            return;
        }
        Set<String> missing = keptNames(parameter);
        missing.removeAll(tensors.keySet());
        missing.removeAll(inGroup);
        if (!missing.isEmpty()) {
            throw refused(file, at + " has " + new TreeSet<>(tensors.keySet()) + " but no " + missing);
        }
        for (String name : parameter.stateNames()) {
            checkBuffer(file, at, parameter, name, tensors.get(name), parameter.stateDtype());
        }
        MasterWeights master = parameter.masterWeights();
        if (master != MasterWeights.NONE) {
            checkBuffer(file, at, parameter, master.stateName(), tensors.get(master.stateName()),
                    master.bufferDtype());
        }
        for (String name : parameter.scalarNames()) {
            Safetensors.Tensor scalar = tensors.get(name);
            if (scalar == null) {
                continue;
            }
            if (!scalar.dtype().equals(Safetensors.F32) && !scalar.dtype().equals(Safetensors.F64)) {
                throw refused(file, at + "." + name + " is " + scalar.dtype() + ", not F32 or F64");
            }
            StateDictLayout.checkOneNumber(file, at + "." + name, scalar);
        }
        if (parameter.group().algorithm().keepsStep() && tensors.containsKey(STEP)) {
            StateDictLayout.checkOneNumber(file, at + "." + STEP, tensors.get(STEP));
        }
    }

    /** Checks that {@code buffer}, the entry {@code name}, holds as many elements of {@code dtype} as the parameter. */
    private static void checkBuffer(Path file, String at, Parameter parameter, String name, Safetensors.Tensor buffer,
                                    Dtype dtype) throws RefusedFileException {
        if (!buffer.dtype().equals(dtype.safetensorsName()) || buffer.elements() != parameter.elementCount()) {
            throw refused(file, at + "." + name + " is " + buffer.dtype() + " of " + buffer.elements()
                    + " elements, and " + parameter.label() + " keeps " + dtype.safetensorsName() + " of "
                    + parameter.elementCount());
        }
    }

    /**
     * Checks the values of parameter {@code parameter}'s scalars and step, and returns its step count: its
     * {@code step}, or for SGD, which keeps none, the declared step count once its momentum buffer exists (at
     * least 1).
     */
    private static long checkValues(Path file, String at, Parameter parameter, Map<String, Safetensors.Tensor> tensors,
                                    MemorySegment data, Long declared, Map<String, Double> inGroup)
            throws RefusedFileException {
        if (!tensors.isEmpty()) {
            List<String> scalars = parameter.scalarNames();
            for (int s = 0; s < scalars.size(); s++) {
                double value = scalar(tensors, data, inGroup, scalars.get(s));
                if (!parameter.group().algorithm().scalarHolds(s, value)) {
                    throw refused(file, at + "." + scalars.get(s) + " is " + value + ", which no float32 is");
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
        double steps = inGroup.containsKey(STEP) ? inGroup.get(STEP) : StateDictLayout.number(tensors.get(STEP), data);
        if (!(steps >= 0 && steps == Math.rint(steps) && steps < 0x1p63)) {
            throw refused(file, at + "." + STEP + " is " + steps + ", not a step count");
        }
        return (long) steps;
    }

    /** Copies what was checked into the optimizer; nothing here can fail. */
    private static void apply(Optimizer optimizer, Plan plan, List<Parameter> parameters, long[] counts,
                              MemorySegment data, long steps) {
        for (ParameterGroup group : optimizer.groups()) {
            group.restore(plan.hyperParameters().get(group.index()));
        }
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            Map<String, Safetensors.Tensor> tensors = plan.state().getOrDefault(i, Map.of());
            if (tensors.isEmpty()) {
                parameter.startState();
            } else {
                copyState(parameter, tensors, data, plan.ofGroup(parameter));
            }
            parameter.stepCount(counts[i]);
        }
        if (plan.trainMode() != null) {
            optimizer.restoreMode(plan.trainMode());
        }
        optimizer.restored(steps);
    }

    /** Scalar {@code name}: its group's entry if the group holds it, else its own entry. */
    private static double scalar(Map<String, Safetensors.Tensor> tensors, MemorySegment data,
                                 Map<String, Double> inGroup, String name) {
        return inGroup.containsKey(name) ? inGroup.get(name) : StateDictLayout.number(tensors.get(name), data);
    }

    private static void copyState(Parameter parameter, Map<String, Safetensors.Tensor> tensors, MemorySegment data,
                                  Map<String, Double> inGroup) {
        MemorySegment[] buffers = parameter.stateBuffers();
        List<String> names = parameter.stateNames();
        for (int s = 0; s < names.size(); s++) {
            LittleEndianElements.read(data, tensors.get(names.get(s)).begin(), buffers[s],
                    parameter.stateDtype().bytes(), parameter.elementCount());
        }
        List<String> scalars = parameter.scalarNames();
        for (int s = 0; s < scalars.size(); s++) {
            // F32 or F64, checked to hold what the scalar can.
            Algorithm.scalar(buffers[names.size() + s], scalar(tensors, data, inGroup, scalars.get(s)));
        }
        MasterWeights master = parameter.masterWeights();
        if (master != MasterWeights.NONE) {
            LittleEndianElements.read(data, tensors.get(master.stateName()).begin(), parameter.masterBuffer(),
                    master.bufferDtype().bytes(), parameter.elementCount());
        }
    }

    private static RefusedFileException refused(Path file, String reason) {
        return new RefusedFileException(file + ": " + reason);
    }
}
