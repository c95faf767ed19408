package dev.vecoptim;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The checkpoint file format, version 1. All numbers little-endian:
 * <pre>
 * "VECOPTIM"  magic, 8 bytes
 * u32         format version (1)
 * u32         header length in bytes, from offset 16
 * header:     u8 optimizer (1 SGD, 2 RMSprop, 3 Adam/AdamW), u64 optimizer steps, u32 groups, and per group:
 *             f64 lr and the optimizer's other hyper-parameters (see {@link #writeHyperParameters}),
 *             u32 parameters, and per parameter: u64 floats, u64 steps
 * zeros       up to the next multiple of 64 bytes
 * payload:    per group, parameter and state buffer (in {@link Algorithm#stateNames()} order): its floats
 * u32         CRC32C of every byte before it
 * </pre>
 * The vector width is not saved: a checkpoint written on an AVX-512 machine loads on an AVX2 one.
 */
final class Checkpoint {
    private static final byte[] MAGIC = {'V', 'E', 'C', 'O', 'P', 'T', 'I', 'M'};
    private static final int VERSION = 1;
    private static final int PREAMBLE = 16;
    private static final int ALIGNMENT = 64;
    private static final int SGD = 1;
    private static final int RMSPROP = 2;
    private static final int ADAM = 3;
    private static final ValueLayout.OfFloat FILE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Floats copied per write: state buffers go to disk through a buffer of this many. */
    private static final int COPY_FLOATS = 1 << 18;

    private Checkpoint() {
    }

    static void save(Optimizer optimizer, Path file) throws IOException {
        ByteBuffer header = header(optimizer);
        int headerLength = header.remaining();
        long payloadStart = align(PREAMBLE + headerLength);
        Path directory = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(directory, file.getFileName().toString() + ".", ".tmp");
        try {
            CRC32C crc = new CRC32C();
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                write(out, crc, ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC)
                        .putInt(VERSION).putInt(headerLength).flip());
                write(out, crc, header);
                write(out, crc, ByteBuffer.allocate((int) (payloadStart - PREAMBLE - headerLength)));
                MemorySegment buffer = arena.allocate((long) COPY_FLOATS * Float.BYTES);
                for (Parameter parameter : optimizer.parameters()) {
                    for (MemorySegment state : parameter.stateBuffers()) {
                        for (long from = 0; from < parameter.elementCount(); from += COPY_FLOATS) {
                            int floats = (int) Math.min(COPY_FLOATS, parameter.elementCount() - from);
                            MemorySegment.copy(state, ValueLayout.JAVA_FLOAT, from * Float.BYTES, buffer, FILE_FLOAT,
                                    0, floats);
                            write(out, crc, buffer.asSlice(0, (long) floats * Float.BYTES).asByteBuffer());
                        }
                    }
                }
                out.write(ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                        .putInt((int) crc.getValue()).flip());
                out.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        forceDirectory(directory);
    }

    private static void write(FileChannel out, CRC32C crc, ByteBuffer bytes) throws IOException {
        crc.update(bytes.duplicate());
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** Makes the rename durable too; where the platform cannot force a directory, the move still was atomic. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException notSupportedHere) {
            // Windows cannot open a directory as a channel; its MoveFileEx is durable without it.
        }
    }

    private static ByteBuffer header(Optimizer optimizer) {
        List<ParameterGroup> groups = optimizer.groups();
        int bytes = 1 + Long.BYTES + Integer.BYTES;
        for (ParameterGroup group : groups) {
            bytes += 6 * Double.BYTES + 3 + Integer.BYTES + group.parameters().size() * 2 * Long.BYTES;
        }
        ByteBuffer header = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        header.put((byte) (groups.isEmpty() ? 0 : family(groups.getFirst().algorithm())));
        header.putLong(optimizer.stepCount()).putInt(groups.size());
        for (ParameterGroup group : groups) {
            writeHyperParameters(header, group.hyperParameters());
            header.putInt(group.parameters().size());
            for (Parameter parameter : group.parameters()) {
                header.putLong(parameter.elementCount()).putLong(parameter.stepCount());
            }
        }
        return header.flip();
    }

    private static int family(Algorithm algorithm) {
        return switch (algorithm) {
            case Sgd sgd -> SGD;
            case RmsProp rmsProp -> RMSPROP;
            case Adam adam -> ADAM;
        };
    }

    /** Six f64 and three u8 per group, whatever the optimizer: lr first, unused slots zero. */
    private static void writeHyperParameters(ByteBuffer out, Algorithm algorithm) {
        switch (algorithm) {
            case Sgd s -> out.putDouble(s.lr()).putDouble(s.momentum()).putDouble(s.dampening())
                    .putDouble(s.weightDecay()).putDouble(0).putDouble(0)
                    .put(flag(s.nesterov())).put(flag(s.maximize())).put((byte) 0);
            case RmsProp r -> out.putDouble(r.lr()).putDouble(r.alpha()).putDouble(r.eps())
                    .putDouble(r.weightDecay()).putDouble(r.momentum()).putDouble(0)
                    .put(flag(r.centered())).put(flag(r.maximize())).put((byte) 0);
            case Adam a -> out.putDouble(a.lr()).putDouble(a.beta1()).putDouble(a.beta2()).putDouble(a.eps())
                    .putDouble(a.weightDecay()).putDouble(0)
                    .put(flag(a.amsgrad())).put(flag(a.maximize())).put(flag(a.decoupledWeightDecay()));
        }
    }

    private static byte flag(boolean value) {
        return (byte) (value ? 1 : 0);
    }

    /** The inverse of {@link #writeHyperParameters}, at the vector width this optimizer's group already has. */
    private static Algorithm readHyperParameters(ByteBuffer in, int family, VectorWidth width)
            throws CheckpointException {
        double[] numbers = new double[6];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = in.getDouble();
        }
        boolean[] flags = {readFlag(in), readFlag(in), readFlag(in)};
        try {
            return switch (family) {
                case SGD -> Sgd.builder(numbers[0]).momentum(numbers[1]).dampening(numbers[2])
                        .weightDecay(numbers[3]).nesterov(flags[0]).maximize(flags[1]).vectorWidth(width).build();
                case RMSPROP -> RmsProp.builder().lr(numbers[0]).alpha(numbers[1]).eps(numbers[2])
                        .weightDecay(numbers[3]).momentum(numbers[4]).centered(flags[0]).maximize(flags[1])
                        .vectorWidth(width).build();
                case ADAM -> (flags[2] ? Adam.adamWBuilder() : Adam.builder()).lr(numbers[0])
                        .betas(numbers[1], numbers[2]).eps(numbers[3]).weightDecay(numbers[4]).amsgrad(flags[0])
                        .maximize(flags[1]).vectorWidth(width).build();
                default -> throw new CheckpointException("unknown optimizer code " + family);
            };
        } catch (IllegalArgumentException invalid) {
            throw new CheckpointException("the checkpoint holds invalid hyper-parameters: " + invalid.getMessage(),
                    invalid);
        }
    }

    private static boolean readFlag(ByteBuffer in) throws CheckpointException {
        byte flag = in.get();
        if (flag != 0 && flag != 1) {
            throw new CheckpointException("the checkpoint holds a flag byte of " + flag + ", not 0 or 1");
        }
        return flag == 1;
    }

    private static String familyName(int family) {
        return switch (family) {
            case SGD -> "SGD";
            case RMSPROP -> "RMSprop";
            case ADAM -> "Adam/AdamW";
            default -> "no optimizer";
        };
    }

    private record GroupState(Algorithm hyperParameters, long[] steps) {
    }

    static void load(Optimizer optimizer, Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             Arena arena = Arena.ofConfined()) {
            long size = in.size();
            if (size < PREAMBLE + Integer.BYTES) {
                throw new CheckpointException(file + " is not a vecoptim checkpoint: " + size + " bytes");
            }
            MemorySegment mapped = in.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            ByteBuffer preamble = mapped.asSlice(0, PREAMBLE).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[MAGIC.length];
            preamble.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new CheckpointException(file + " is not a vecoptim checkpoint (no VECOPTIM magic)");
            }
            int version = preamble.getInt();
            if (version != VERSION) {
                throw new CheckpointException(file + " is format version " + version + "; this vecoptim reads "
                        + VERSION);
            }
            int headerLength = preamble.getInt();
            CRC32C crc = new CRC32C();
            for (long from = 0; from < size - Integer.BYTES; from += 1 << 30) {
                crc.update(mapped.asSlice(from, Math.min(1 << 30, size - Integer.BYTES - from)).asByteBuffer());
            }
            int stored = mapped.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    size - Integer.BYTES);
            if (stored != (int) crc.getValue()) {
                throw new CheckpointException(file + " is damaged or truncated: its CRC32C does not match its"
                        + " contents");
            }
            if (headerLength < 0 || PREAMBLE + (long) headerLength > size - Integer.BYTES) {
                throw new CheckpointException(file + " is damaged: its header length " + headerLength
                        + " does not fit in " + size + " bytes");
            }
            ByteBuffer header = mapped.asSlice(PREAMBLE, headerLength).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long payloadStart = align(PREAMBLE + (long) headerLength);
            List<GroupState> groups;
            long optimizerSteps;
            try {
                int family = header.get();
                optimizerSteps = header.getLong();
                groups = readGroups(optimizer, header, family);
                if (header.hasRemaining()) {
                    throw new CheckpointException(file + " is damaged: " + header.remaining()
                            + " header bytes are left over");
                }
            } catch (BufferUnderflowException truncated) {
                throw new CheckpointException(file + " is damaged: its header ends too early", truncated);
            }
            long expectedSize = payloadStart + payloadBytes(optimizer) + Integer.BYTES;
            if (size != expectedSize) {
                throw new CheckpointException(file + " does not match this optimizer: " + size + " bytes, but its"
                        + " state takes " + expectedSize);
            }
            if (optimizerSteps < 0) {
                throw new CheckpointException(file + " is damaged: a negative optimizer step count");
            }
            apply(optimizer, groups, optimizerSteps, mapped, payloadStart);
        }
    }

    /** Reads every group and checks it against the optimizer's; throws before anything is changed. */
    private static List<GroupState> readGroups(Optimizer optimizer, ByteBuffer header, int family)
            throws CheckpointException {
        List<ParameterGroup> mine = optimizer.groups();
        int groupCount = header.getInt();
        if (groupCount != mine.size()) {
            throw new CheckpointException("the checkpoint has " + groupCount + " parameter groups; this optimizer "
                    + mine.size());
        }
        if (!mine.isEmpty() && family != family(mine.getFirst().algorithm())) {
            throw new CheckpointException("the checkpoint is of " + familyName(family) + "; this optimizer runs "
                    + mine.getFirst().algorithm().name());
        }
        List<GroupState> groups = new ArrayList<>();
        for (ParameterGroup group : mine) {
            Algorithm hyperParameters = readHyperParameters(header, family, group.algorithm().vectorWidth());
            int parameterCount = header.getInt();
            if (parameterCount != group.parameters().size()) {
                throw new CheckpointException("group " + group.index() + " has " + parameterCount
                        + " parameters in the checkpoint and " + group.parameters().size() + " here");
            }
            if (!group.parameters().isEmpty() && !hyperParameters.stateNames().equals(
                    group.parameters().getFirst().stateNames())) {
                throw new CheckpointException("group " + group.index() + " keeps " + hyperParameters.stateNames()
                        + " in the checkpoint and " + group.parameters().getFirst().stateNames() + " here");
            }
            long[] steps = new long[parameterCount];
            for (Parameter parameter : group.parameters()) {
                long floats = header.getLong();
                steps[parameter.index()] = header.getLong();
                if (floats != parameter.elementCount()) {
                    throw new CheckpointException(parameter.label() + " has " + floats
                            + " floats in the checkpoint and " + parameter.elementCount() + " here");
                }
                if (steps[parameter.index()] < 0) {
                    throw new CheckpointException(parameter.label() + " has a negative step count");
                }
            }
            groups.add(new GroupState(hyperParameters, steps));
        }
        return groups;
    }

    private static long payloadBytes(Optimizer optimizer) {
        long bytes = 0;
        for (Parameter parameter : optimizer.parameters()) {
            bytes += parameter.stateBuffers().length * parameter.value().byteSize();
        }
        return bytes;
    }

    private static void apply(Optimizer optimizer, List<GroupState> groups, long optimizerSteps,
                              MemorySegment mapped, long payloadStart) {
        long offset = payloadStart;
        for (ParameterGroup group : optimizer.groups()) {
            GroupState loaded = groups.get(group.index());
            group.hyperParameters(loaded.hyperParameters());
            for (Parameter parameter : group.parameters()) {
                parameter.stepCount(loaded.steps()[parameter.index()]);
                for (MemorySegment state : parameter.stateBuffers()) {
                    MemorySegment.copy(mapped, FILE_FLOAT, offset, state, ValueLayout.JAVA_FLOAT, 0,
                            parameter.elementCount());
                    offset += state.byteSize();
                }
            }
        }
        optimizer.stepCount(optimizerSteps);
    }

    private static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
