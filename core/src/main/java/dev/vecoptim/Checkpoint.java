package dev.vecoptim;

import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.FileReplacement;
import dev.vecoptim.io.LittleEndianElements;
import dev.vecoptim.io.MalformedHeaderException;
import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.kernel.StochasticRounding;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Saves and loads an optimizer's state. The file, format version 3, little-endian:
 * <pre>
 * "VECOPTIM"  magic, 8 bytes
 * u32         format version (3)
 * u32         header length in bytes, from offset 16
 * header      steps, groups, their optimizers and hyper-parameters by PyTorch's names, parameters' sizes,
 *             step counts, state buffer names and scalars: see {@link CheckpointHeader}
 * zeros       up to the next multiple of 64 bytes
 * payload     group by group, each group's parameters in order, each parameter's state buffers in the
 *             header's order, then its values if the header says so: their floats
 * u32         CRC32C of every byte before it
 * </pre>
 * Formats 2 (no schedules, no values) and 1 (vecoptim's first) are still read. It wrote the payload in the order the parameters were
 * registered, whatever their groups, so it is read in this optimizer's registration order: right when the
 * same code built both optimizers, which a file of format 1 cannot prove.
 *
 * <p>Loading checks the optimizer's structure first: the same groups, each of the same optimizer (Adam is not
 * AdamW) with the same flags ({@code nesterov}, {@code centered}, {@code amsgrad}, {@code maximize}), the same
 * parameters with the same sizes and state buffers. Numbers (lr, betas, eps, weight_decay, momentum, ...) are
 * restored from the file, as PyTorch's {@code load_state_dict} restores {@code param_groups}; flags are not,
 * since a file must not silently turn one optimizer into another.
 */
final class Checkpoint {

    private Checkpoint() {
    }

    /** Saves {@code optimizer}, and {@code scaler}'s state unless it is null. */
    static void save(Optimizer optimizer, Path file, GradScaler scaler) throws IOException {
        ByteBuffer header = header(optimizer, scaler).write();
        int headerLength = header.remaining();
        long payloadStart = CheckpointReader.align(CheckpointReader.PREAMBLE + (long) headerLength);
        try (FileReplacement replacement = FileReplacement.begin(file, 0, CheckpointReader.MAGIC);
             Arena arena = LittleEndianElements.stagingArena()) {
            FileChannel out = replacement.channel();
            CRC32C crc = new CRC32C();
            LittleEndianElements.writeAll(out, crc, ByteBuffer.allocate(CheckpointReader.PREAMBLE)
                    .order(ByteOrder.LITTLE_ENDIAN).put(CheckpointReader.MAGIC).putInt(CheckpointReader.VERSION)
                    .putInt(headerLength).flip());
            LittleEndianElements.writeAll(out, crc, header);
            LittleEndianElements.writeAll(out, crc,
                    ByteBuffer.allocate((int) (payloadStart - CheckpointReader.PREAMBLE - headerLength)));
            MemorySegment buffer = LittleEndianElements.buffer(arena);
            for (Parameter parameter : inGroupOrder(optimizer)) {
                for (Saved saved : savedBuffers(parameter, parameter.block() != null)) {
                    LittleEndianElements.write(saved.segment(), saved.dtype().bytes(), buffer,
                            bytes -> LittleEndianElements.writeAll(out, crc, bytes));
                }
            }
            LittleEndianElements.writeAll(out, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) crc.getValue()).flip());
            replacement.commit();
        } catch (FileSystemException namesItsFile) {
            throw namesItsFile;
        } catch (IOException e) {
            // A full disk says only "No space left on device"; an interrupt closes the channel and says nothing.
            String why = Thread.currentThread().isInterrupted() ? "the thread was interrupted"
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new IOException("cannot save a checkpoint to " + file.toAbsolutePath() + ": " + why, e);
        }
    }

    /** What the checkpoint of {@code optimizer} and {@code scaler} (or null) says in its header. */
    static CheckpointHeader header(Optimizer optimizer, GradScaler scaler) {
        List<CheckpointHeader.Group> groups = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            Algorithm algorithm = group.hyperParameters();
            List<CheckpointHeader.Entry> parameters = new ArrayList<>();
            for (Parameter parameter : group.parameters()) {
                Map<String, Double> scalars = new LinkedHashMap<>();
                for (String name : parameter.scalarNames()) {
                    scalars.put(name, parameter.scalar(name));
                }
                parameters.add(new CheckpointHeader.Entry(parameter.elementCount(), parameter.dtype().format(),
                        parameter.stateDtype().format(), parameter.stepCount(), parameter.stateNames(), scalars,
                        parameter.block() != null, parameter.masterWeights().kernel()));
            }
            groups.add(new CheckpointHeader.Group(algorithm.name(), algorithm.semantics().name(), algorithm.fused(),
                    algorithm.namedHyperParameters(), SavedSchedule.describe(group.schedule()), parameters,
                    algorithm.masterWeights().kernel(), algorithm.stochasticRounding()));
        }
        Map<String, Object> gradScaler = null;
        if (scaler != null) {
            gradScaler = new LinkedHashMap<>();
            for (Map.Entry<String, Object> entry : scaler.stateDict().entrySet()) {
                gradScaler.put(entry.getKey(), ((Number) entry.getValue()).doubleValue());
            }
        }
        return new CheckpointHeader(optimizer.stepCount(), groups, gradScaler, SavedPlateau.describe(optimizer),
                optimizer.training());
    }

    /** Reads a header of format {@code version}: format 1's state buffers are those its optimizer keeps. */
    static CheckpointHeader readHeader(int version, ByteBuffer in) throws MalformedHeaderException {
        return CheckpointHeader.read(version, in, (optimizer, named) -> {
            Algorithm prototype = switch (optimizer) {
                case "SGD" -> Sgd.builder().vectorWidth(VectorWidth.SCALAR).build();
                case "RMSprop" -> RmsProp.builder().vectorWidth(VectorWidth.SCALAR).build();
                case "Adam" -> Adam.builder().vectorWidth(VectorWidth.SCALAR).build();
                default -> Adam.adamWBuilder().vectorWidth(VectorWidth.SCALAR).build();
            };
            return prototype.withNamedHyperParameters(named).stateNames();
        });
    }

    /**
     * What the payload holds of {@code parameter}, in order: its state buffers, its master's buffer if it has one,
     * then its values if saved.
     */
    private static List<Saved> savedBuffers(Parameter parameter, boolean values) {
        List<Saved> buffers = new ArrayList<>();
        for (int s = 0; s < parameter.stateNames().size(); s++) {
            buffers.add(new Saved(parameter.stateBuffers()[s], parameter.stateDtype()));
        }
        if (parameter.masterBuffer() != null) {
            buffers.add(new Saved(parameter.masterBuffer(), parameter.masterWeights().bufferDtype()));
        }
        if (values) {
            buffers.add(new Saved(parameter.value(), parameter.dtype()));
        }
        return buffers;
    }

    /** A buffer the payload holds, and the dtype of its elements. */
    private record Saved(MemorySegment segment, Dtype dtype) {
    }

    static List<Parameter> inGroupOrder(Optimizer optimizer) {
        List<Parameter> parameters = new ArrayList<>();
        optimizer.groups().forEach(group -> parameters.addAll(group.parameters()));
        return parameters;
    }

    /** Loads {@code optimizer}, and {@code scaler} unless it is null, from {@code file}. */
    static void load(Optimizer optimizer, Path file, GradScaler scaler) throws IOException {
        load(optimizer, file, scaler, CheckpointReader.READ_BYTES, System.getLogger("dev.vecoptim"));
    }

    /** Loads {@code optimizer} alone, reading at most {@code readBytes} at once, warnings to {@code log}. */
    static void load(Optimizer optimizer, Path file, int readBytes, System.Logger log) throws IOException {
        load(optimizer, file, null, readBytes, log);
    }

    private static void load(Optimizer optimizer, Path file, GradScaler scaler, int readBytes, System.Logger log)
            throws IOException {
        try (CheckpointReader<CheckpointHeader> reader = CheckpointReader.open(file, readBytes, Checkpoint::readHeader); Arena staging = LittleEndianElements.stagingArena()) {
            CheckpointHeader header = reader.header();
            String mismatch = mismatch(optimizer, header);
            if (mismatch == null) {
                mismatch = GradScaler.fileRefusal("the checkpoint", header.gradScaler(), scaler);
            }
            Map<String, Object> plateau = null;
            try {
                plateau = SavedPlateau.parse(header.plateau());
            } catch (IllegalArgumentException malformed) {
                mismatch = mismatch != null ? mismatch : "its ReduceLROnPlateau state is malformed: "
                        + malformed.getMessage();
            }
            if (mismatch == null) {
                mismatch = SavedPlateau.refusal("the checkpoint", plateau, optimizer);
            }
            if (mismatch != null) {
                throw reader.refusal(mismatch);
            }
            MemorySegment payload = reader.payload(staging);
            List<Algorithm> hyperParameters = new ArrayList<>();
            for (ParameterGroup group : optimizer.groups()) {
                CheckpointHeader.Group saved = header.groups().get(group.index());
                try {
                    hyperParameters.add(group.algorithm().withNamedHyperParameters(saved.hyperParameters()));
                } catch (IllegalArgumentException invalid) {
                    throw new RefusedFileException(file + ": group " + group.index() + " holds invalid hyper-parameters: "
                            + invalid.getMessage(), invalid);
                }
            }
            String badSteps = badStepCount(optimizer, header);
            if (badSteps != null) {
                throw new RefusedFileException(file + ": " + badSteps);
            }
            List<SavedSchedule.Decision> schedules = new ArrayList<>();
            for (ParameterGroup group : optimizer.groups()) {
                try {
                    schedules.add(SavedSchedule.decide(group, header.groups().get(group.index()).schedule()));
                } catch (IllegalArgumentException refused) {
                    throw new RefusedFileException(file + ": " + refused.getMessage(), refused);
                }
            }
            List<Parameter> payloadOrder = reader.version() == 1 ? optimizer.parameters() : inGroupOrder(optimizer);
            apply(optimizer, header, hyperParameters, payload, payloadOrder);
            if (scaler != null) {
                scaler.restore(header.gradScaler());
            }
            SavedPlateau.restore(plateau, optimizer);
            SavedSchedule.apply(optimizer, schedules, file, log);
        }
    }

    /** How the file's structure differs from the optimizer's, or null. */
    private static String mismatch(Optimizer optimizer, CheckpointHeader header) {
        List<ParameterGroup> groups = optimizer.groups();
        if (header.groups().size() != groups.size()) {
            return "the checkpoint has " + header.groups().size() + " parameter groups and this optimizer "
                    + groups.size();
        }
        for (ParameterGroup group : groups) {
            CheckpointHeader.Group saved = header.groups().get(group.index());
            String at = "group " + group.index();
            Algorithm mine = group.hyperParameters();
            if (!saved.optimizer().equals(mine.name())) {
                return at + " is " + saved.optimizer() + " in the checkpoint and " + mine.name() + " here";
            }
            if (!saved.semantics().equals(mine.semantics().name())) {
                return at + " was saved with " + saved.semantics() + " semantics and runs " + mine.semantics().name()
                        + " here; build it with .semantics(Semantics." + saved.semantics() + ") to load this file";
            }
            if (saved.fused() != mine.fused()) {
                return at + " was saved with fused=" + saved.fused() + " and runs fused=" + mine.fused()
                        + " here; build it with .fused(" + saved.fused() + ") to load this file";
            }
            if (saved.masterWeights() != mine.masterWeights().kernel()) {
                return at + " was saved with master weights " + saved.masterWeights() + " and keeps "
                        + mine.masterWeights() + " here; build it with .masterWeights(MasterWeights."
                        + saved.masterWeights() + ") to load this file";
            }
            if (!Objects.equals(saved.stochasticRounding(), mine.stochasticRounding())) {
                return at + " rounds its state " + StochasticRounding.describe(saved.stochasticRounding())
                        + " in the checkpoint and " + StochasticRounding.describe(mine.stochasticRounding())
                        + " here; build it with " + AlgorithmBuilder.roundingCall(saved.stochasticRounding())
                        + " to load this file";
            }
            Map<String, Object> named = mine.namedHyperParameters();
            if (!saved.hyperParameters().keySet().equals(named.keySet())) {
                return at + " has the hyper-parameters " + saved.hyperParameters().keySet() + " in the checkpoint and "
                        + named.keySet() + " here";
            }
            String flags = NamedValues.flagMismatch(saved.hyperParameters(), named, "checkpoint");
            if (flags != null) {
                return at + flags;
            }
            if (saved.parameters().size() != group.parameters().size()) {
                return at + " has " + saved.parameters().size() + " parameters in the checkpoint and "
                        + group.parameters().size() + " here";
            }
            for (Parameter parameter : group.parameters()) {
                CheckpointHeader.Entry entry = saved.parameters().get(parameter.index());
                if (entry.dtype() != parameter.dtype().format()) {
                    return parameter.label() + " holds " + entry.dtype() + " in the checkpoint and "
                            + parameter.dtype() + " here";
                }
                if (entry.stateDtype() != parameter.stateDtype().format()) {
                    return parameter.label() + " keeps its state in " + entry.stateDtype() + " in the checkpoint and "
                            + parameter.stateDtype() + " here";
                }
                if (entry.master() != parameter.masterWeights().kernel()) {
                    return parameter.label() + " has the master " + entry.master() + " in the checkpoint and "
                            + parameter.masterWeights() + " here";
                }
                if (entry.elements() != parameter.elementCount()) {
                    return parameter.label() + " has " + entry.elements() + " " + parameter.dtype().elements()
                            + " in the checkpoint and " + parameter.elementCount() + " here";
                }
                if (entry.values() && parameter.block() == null) {
                    return parameter.label() + "'s values are in the checkpoint, from memory the optimizer owned"
                            + " (group.allocate), and here it is in the caller's memory";
                }
                if (!entry.stateNames().equals(parameter.stateNames())) {
                    return parameter.label() + " keeps " + entry.stateNames() + " in the checkpoint and "
                            + parameter.stateNames() + " here";
                }
                if (!entry.scalars().keySet().equals(Set.copyOf(parameter.scalarNames()))) {
                    return parameter.label() + " keeps the scalars " + new TreeSet<>(entry.scalars().keySet())
                            + " in the checkpoint and " + new TreeSet<>(parameter.scalarNames()) + " here";
                }
                List<String> scalarNames = parameter.scalarNames();
                for (int s = 0; s < scalarNames.size(); s++) {
                    double value = entry.scalars().get(scalarNames.get(s));
                    if (!parameter.group().algorithm().scalarHolds(s, value)) {
                        return parameter.label() + "'s " + scalarNames.get(s) + " is " + value
                                + " in the checkpoint, which no float is: the file was not written by vecoptim";
                    }
                }
            }
        }
        return null;
    }

    /** What is wrong with the file's step counts, or null. */
    private static String badStepCount(Optimizer optimizer, CheckpointHeader header) {
        if (header.steps() < 0) {
            return "its step count " + Long.toUnsignedString(header.steps()) + " is beyond 2^63 - 1";
        }
        for (ParameterGroup group : optimizer.groups()) {
            for (Parameter parameter : group.parameters()) {
                long steps = header.groups().get(group.index()).parameters().get(parameter.index()).steps();
                if (steps < 0 || steps > header.steps()) {
                    return parameter.label() + " has made " + Long.toUnsignedString(steps) + " steps in the checkpoint,"
                            + " more than the optimizer's " + header.steps();
                }
            }
        }
        return null;
    }

    /** Copies what was checked into the optimizer; nothing here can fail. */
    private static void apply(Optimizer optimizer, CheckpointHeader header, List<Algorithm> hyperParameters,
                              MemorySegment payload, List<Parameter> payloadOrder) {
        long offset = 0;
        for (Parameter parameter : payloadOrder) {
            CheckpointHeader.Entry entry = header.groups().get(parameter.group().index()).parameters()
                    .get(parameter.index());
            for (Saved saved : savedBuffers(parameter, entry.values())) {
                LittleEndianElements.read(payload, offset, saved.segment(), saved.dtype().bytes(),
                        parameter.elementCount());
                offset += saved.segment().byteSize();
            }
        }
        for (ParameterGroup group : optimizer.groups()) {
            group.restore(hyperParameters.get(group.index()));
            for (Parameter parameter : group.parameters()) {
                CheckpointHeader.Entry entry = header.groups().get(group.index()).parameters().get(parameter.index());
                parameter.stepCount(entry.steps());
                List<String> scalarNames = parameter.scalarNames();
                for (int s = 0; s < scalarNames.size(); s++) {
                    Algorithm.scalar(parameter.stateBuffers()[parameter.stateNames().size() + s],
                            entry.scalars().get(scalarNames.get(s)));
                }
            }
        }
        optimizer.restoreMode(header.training());
        optimizer.restored(header.steps());
    }
}
