package dev.vecoptim;

import dev.vecoptim.io.CheckpointHeader;
import dev.vecoptim.io.CheckpointReader;
import dev.vecoptim.io.MalformedHeaderException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/** Test helpers around checkpoint files: optimizers to save, their state, and hand-made files. */
final class CheckpointFiles {
    private CheckpointFiles() {
    }

    /** An AMSGrad optimizer over three parameters in two groups, stepped {@code steps} times. */
    static Optimizer trained(Arena arena, int steps) {
        return trained(arena, steps, 1000, 37, 11);
    }

    /** The same with parameters of the given sizes: all in group 0 but the last, which is group 1's. */
    static Optimizer trained(Arena arena, int steps, int... sizes) {
        Optimizer optimizer = Optimizer.builder().build();
        ParameterGroup weights = optimizer.addGroup(Adam.adamWBuilder().amsgrad(true).lr(3e-3).build());
        ParameterGroup biases = optimizer.addGroup(Adam.adamWBuilder().amsgrad(true).weightDecay(0).build());
        SplittableRandom random = new SplittableRandom(5);
        for (int p = 0; p < sizes.length; p++) {
            (p < sizes.length - 1 ? weights : biases).add(filled(arena, sizes[p], random), filled(arena, sizes[p], random));
        }
        for (int s = 0; s < steps; s++) {
            optimizer.step();
        }
        return optimizer;
    }

    static MemorySegment filled(Arena arena, int size, SplittableRandom random) {
        MemorySegment segment = arena.allocate(4L * size, 64);
        for (int i = 0; i < size; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        return segment;
    }

    /** Everything a checkpoint restores, as numbers, strings and bytes that compare with {@code equals}. */
    static List<Object> state(Optimizer optimizer) {
        return summary(optimizer, buffer -> Arrays.toString(buffer.toArray(ValueLayout.JAVA_BYTE)));
    }

    /**
     * A short summary of the same, with a CRC32C of each state buffer, for optimizers too large to compare byte by
     * byte quickly.
     */
    static List<Object> fingerprint(Optimizer optimizer) {
        return summary(optimizer, buffer -> {
            CRC32C crc = new CRC32C();
            crc.update(buffer.asByteBuffer());
            return crc.getValue();
        });
    }

    private static List<Object> summary(Optimizer optimizer, Function<MemorySegment, Object> stateBuffer) {
        List<Object> state = new ArrayList<>(List.of(optimizer.stepCount()));
        for (ParameterGroup group : optimizer.groups()) {
            state.add(group.hyperParameters().toString());
            for (Parameter parameter : group.parameters()) {
                state.add(parameter.stepCount());
                for (String name : parameter.stateNames()) {
                    state.add(name + " " + stateBuffer.apply(parameter.state(name)));
                }
                for (String name : parameter.scalarNames()) {
                    state.add(name + " " + Double.doubleToRawLongBits(parameter.scalar(name)));
                }
            }
        }
        return state;
    }

    /**
     * Rewrites a checkpoint with another header, in the current format, as a writer with other intentions would:
     * the payload is kept, the CRC32C is made right. For files a correct vecoptim never writes.
     */
    static void rewriteHeader(Path file, UnaryOperator<CheckpointHeader> change) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = bytes.getInt(12);
        byte[] oldHeader = Arrays.copyOfRange(bytes.array(), 16, 16 + headerLength);
        long oldPayloadStart = CheckpointReader.align(16 + headerLength);
        byte[] payload = Arrays.copyOfRange(bytes.array(), (int) oldPayloadStart, bytes.capacity() - 4);
        CheckpointHeader header;
        try {
            header = Checkpoint.readHeader(bytes.getInt(8), ByteBuffer.wrap(oldHeader));
        } catch (MalformedHeaderException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        ByteBuffer newHeader = change.apply(header).write();
        byte[] headerBytes = new byte[newHeader.remaining()];
        newHeader.get(headerBytes);
        Files.write(file, crafted(CheckpointReader.VERSION, headerBytes, payload));
    }

    /**
     * A file laid out as a checkpoint of format {@code version} (magic, version, header length, header,
     * padding, payload) with a right CRC32C, whatever the header and payload say.
     */
    static byte[] crafted(int version, byte[] header, byte[] payload) {
        int payloadStart = (int) CheckpointReader.align(16 + header.length);
        ByteBuffer out = ByteBuffer.allocate(payloadStart + payload.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.put(CheckpointReader.MAGIC).putInt(version).putInt(header.length).put(header).position(payloadStart)
                .put(payload);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /** A header whose group {@code g} has {@code name} set to {@code value}. */
    static CheckpointHeader withHyperParameter(CheckpointHeader header, int g, String name, Object value) {
        List<CheckpointHeader.Group> groups = new ArrayList<>(header.groups());
        CheckpointHeader.Group group = groups.get(g);
        java.util.Map<String, Object> named = new java.util.LinkedHashMap<>(group.hyperParameters());
        named.put(name, value);
        groups.set(g, new CheckpointHeader.Group(group.optimizer(), group.semantics(), group.fused(), named, group.schedule(),
                group.parameters(), group.masterWeights(), group.stochasticRounding()));
        return new CheckpointHeader(header.steps(), groups);
    }

    /** A header whose parameter {@code p} of group {@code g} has made {@code steps} steps. */
    static CheckpointHeader withParameterSteps(CheckpointHeader header, int g, int p, long steps) {
        List<CheckpointHeader.Group> groups = new ArrayList<>(header.groups());
        CheckpointHeader.Group group = groups.get(g);
        List<CheckpointHeader.Entry> parameters = new ArrayList<>(group.parameters());
        CheckpointHeader.Entry entry = parameters.get(p);
        parameters.set(p, new CheckpointHeader.Entry(entry.elements(), entry.dtype(), entry.stateDtype(), steps, entry.stateNames(), entry.scalars(),
                entry.values(), entry.master()));
        groups.set(g, new CheckpointHeader.Group(group.optimizer(), group.semantics(), group.fused(), group.hyperParameters(),
                group.schedule(), parameters, group.masterWeights(), group.stochasticRounding()));
        return new CheckpointHeader(header.steps(), groups);
    }
}
