package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.kernel.TestFloats;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MasterWeights}: a 16-bit parameter with a master is stepped as a float32 optimizer steps a float32 copy of
 * it (its gradients widened), bit for bit, whatever the optimizer, threads and layout; the parameter is then the
 * master rounded to nearest (a float32 master) or its upper 16 bits (a split one, whose lower 16 bits the buffer
 * holds). Files restore the master exactly, or refuse.
 */
class MasterWeightsTest {
    @TempDir
    Path directory;

    /**
     * Random optimizers, masters, dtypes, state dtypes, sizes and layouts: after every step the master equals the
     * float32 step of a float32 copy of the parameter, and the parameter is set from it.
     */
    @Test
    void aMasterIsStepppedAsAFloat32CopyAtAnyThreadCountAndLayout() {
        SplittableRandom random = new SplittableRandom(29);
        for (int trial = 0; trial < 60; trial++) {
            MasterWeights master = random.nextBoolean() ? MasterWeights.FLOAT32 : MasterWeights.SPLIT;
            Dtype dtype = master == MasterWeights.SPLIT || random.nextBoolean() ? Dtype.BFLOAT16 : Dtype.FLOAT16;
            Dtype stateDtype = random.nextInt(4) == 0 ? Dtype.BFLOAT16 : null;
            Algorithm algorithm = TestedOptimizers.random(random).toBuilder().stateDtype(stateDtype)
                    .masterWeights(master).build();
            RandomLayout layout = RandomLayout.draw(random, 1200);
            String at = "trial " + trial + ": " + algorithm + " on " + dtype + ", " + layout;
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = layout.optimizer()) {
                ParameterGroup group = optimizer.addGroup(algorithm);
                List<Parameter> parameters = layout.parameters(group, dtype, arena);
                List<Float32Copy> copies = new ArrayList<>();
                for (Parameter parameter : parameters) {
                    assertEquals(master, parameter.masterWeights(), at);
                    assertEquals(stateDtype != null ? stateDtype : Dtype.FLOAT32, parameter.stateDtype(), at);
                    fill(dtype, parameter.value(), random);
                    copies.add(new Float32Copy(arena, algorithm, dtype, parameter.value()));
                }
                for (int step = 1; step <= 3; step++) {
                    for (int p = 0; p < parameters.size(); p++) {
                        fill(dtype, parameters.get(p).grad(), random);
                        copies.get(p).step(step, parameters.get(p).grad());
                    }
                    optimizer.step();
                    for (int p = 0; p < parameters.size(); p++) {
                        copies.get(p).assertHeldBy(at + ", step " + step + ", parameter " + p, parameters.get(p));
                    }
                }
            }
        }
    }

    /**
     * The direct step takes the master after the scalars, sets it from the parameter at step 1, and steps it as the
     * optimizer does; a master of the wrong size is refused before anything is written.
     */
    @Test
    void theDirectStepTakesTheMasterLast() {
        Algorithm algorithm = NAdam.builder().lr(0.01).masterWeights(MasterWeights.SPLIT).build();
        SplittableRandom random = new SplittableRandom(3);
        int n = 100;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(2L * n);
            MemorySegment grad = arena.allocate(2L * n);
            fill(Dtype.BFLOAT16, param, random);
            Float32Copy copy = new Float32Copy(arena, algorithm, Dtype.BFLOAT16, param);
            MemorySegment[] state = {arena.allocate(4L * n), arena.allocate(4L * n), arena.allocate(4),
                arena.allocate(2L * n)};
            state[3].fill((byte) 0x55);
            for (int step = 1; step <= 3; step++) {
                fill(Dtype.BFLOAT16, grad, random);
                copy.step(step, grad);
                algorithm.step(Dtype.BFLOAT16, step, param, grad, state);
                copy.assertJoined("step " + step, param, state[3]);
            }
            MemorySegment before = arena.allocate(2L * n).copyFrom(param);
            MemorySegment[] wrongSize = {state[0], state[1], state[2], arena.allocate(4L * n)};
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> algorithm.step(Dtype.BFLOAT16, 4, param, grad, wrongSize));
            assertTrue(refused.getMessage().startsWith("master"), refused.getMessage());
            assertEquals(-1, before.mismatch(param));
            assertThrows(IllegalArgumentException.class,
                    () -> algorithm.step(Dtype.BFLOAT16, 4, param, grad, state[0], state[1], state[2]));
        }
    }

    /**
     * The master is taken from the parameter's value at its first step, so values written after the parameter was
     * added count; from then on the master is stepped, and a value written into the parameter is overwritten.
     */
    @Test
    void theMasterIsTakenAtTheFirstStepAndOverridesTheParameterAfter() {
        Algorithm algorithm = Sgd.builder(0.5).masterWeights(MasterWeights.FLOAT32).build();
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(algorithm).allocate(Dtype.BFLOAT16, 1).getFirst();
            Dtype.BFLOAT16.set(parameter.value(), 0, 1);
            Dtype.BFLOAT16.set(parameter.grad(), 0, 0x1p-8f);
            optimizer.step();
            assertEquals(1 - 0x1p-9f, parameter.masterBuffer().get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(1, Dtype.BFLOAT16.get(parameter.value(), 0), "1 - 2^-9, a tie, rounds to even: 1");
            Dtype.BFLOAT16.set(parameter.value(), 0, 8);
            optimizer.step();
            assertEquals(1 - 0x1p-8f, parameter.masterBuffer().get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(1 - 0x1p-8f, Dtype.BFLOAT16.get(parameter.value(), 0));
        }
    }

    /**
     * {@link Parameter#copyMasterTo} gives the value widened before the first step, and refuses a parameter without
     * a master, a closed optimizer, and a segment read-only, too small or overlapping the parameter, writing nothing.
     */
    @Test
    void copyMasterToGivesTheValueWidenedBeforeTheFirstStepAndRefusesBadSegments() {
        Algorithm master = Adam.builder().masterWeights(MasterWeights.FLOAT32).build();
        Optimizer optimizer = Optimizer.builder().build();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment memory = arena.allocate(40);
            MemorySegment value = memory.asSlice(0, 10);
            fill(Dtype.FLOAT16, value, new SplittableRandom(8));
            ParameterGroup group = optimizer.addGroup(master);
            Parameter parameter = group.add(Dtype.FLOAT16, value, arena.allocate(10));
            MemorySegment floats = arena.allocate(4 * 5 + 4).fill((byte) 0x7F);
            parameter.copyMasterTo(floats);
            for (long i = 0; i < 5; i++) {
                assertEquals(Dtype.FLOAT16.get(value, i), Dtype.FLOAT32.get(floats, i), "element " + i);
            }
            assertEquals(0x7F7F7F7F, floats.get(ValueLayout.JAVA_INT, 20), "nothing past the master is written");
            MemorySegment untouched = arena.allocate(20).fill((byte) 0x7F);
            refuses(IllegalArgumentException.class, () -> parameter.copyMasterTo(untouched.asReadOnly()),
                    "read-only");
            refuses(IllegalArgumentException.class, () -> parameter.copyMasterTo(untouched.asSlice(0, 16)),
                    "holds 16 bytes; its 5 floats need 20");
            assertEquals(-1, untouched.mismatch(arena.allocate(20).fill((byte) 0x7F)));
            MemorySegment before = arena.allocate(40).copyFrom(memory);
            refuses(IllegalArgumentException.class, () -> parameter.copyMasterTo(memory.asSlice(4, 20)),
                    "overlaps its value or state");
            refuses(IllegalArgumentException.class, () -> parameter.copyMasterTo(parameter.masterBuffer()),
                    "overlaps its value or state");
            assertEquals(-1, before.mismatch(memory));
            Parameter float32 = group.allocate(3).getFirst();
            refuses(IllegalStateException.class, () -> float32.copyMasterTo(untouched),
                    "keeps no master: it is torch.float32");
            optimizer.close();
            refuses(IllegalStateException.class, () -> parameter.copyMasterTo(untouched), "freed");
        }
        try (Optimizer unmastered = Optimizer.builder().build()) {
            Parameter parameter = unmastered.addGroup(Adam.builder().build()).allocate(Dtype.FLOAT16, 3).getFirst();
            refuses(IllegalStateException.class, () -> parameter.copyMasterTo(MemorySegment.ofArray(new float[3])),
                    "masterWeights(MasterWeights.NONE)");
        }
    }

    @Test
    void float32ParametersKeepNoMasterAndSplitMastersAreForBfloat16Only() {
        Algorithm split = Adam.builder().masterWeights(MasterWeights.SPLIT).build();
        try (Arena arena = Arena.ofConfined(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(split);
            Parameter float32 = group.allocate(8).getFirst();
            assertEquals(MasterWeights.NONE, float32.masterWeights());
            assertNull(float32.masterBuffer());
            assertEquals(split.toBuilder().masterWeights(MasterWeights.NONE).build().implementation(), split.implementation());
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> group.add(Dtype.FLOAT16, arena.allocate(16), arena.allocate(16)));
            assertTrue(refused.getMessage().startsWith("split master weights are for bfloat16 parameters"),
                    refused.getMessage());
            assertThrows(IllegalArgumentException.class, () -> group.allocate(Dtype.FLOAT16, 8));
            assertEquals(1, group.parameters().size());
            assertTrue(split.implementation(Dtype.BFLOAT16).toString().contains("on a float32 master"),
                    split.implementation(Dtype.BFLOAT16).toString());
        }
    }

    @Test
    void theMasterIsPartOfTheConfiguration() {
        Algorithm plain = Adam.builder().lr(0.01).build();
        Algorithm master = plain.toBuilder().masterWeights(MasterWeights.FLOAT32).build();
        assertEquals(MasterWeights.NONE, plain.masterWeights());
        assertEquals(MasterWeights.FLOAT32, master.masterWeights());
        assertEquals(MasterWeights.FLOAT32, master.withLr(0.1).masterWeights());
        assertNotEquals(plain, master);
        assertTrue(master.toString().endsWith("semantics=PYTORCH_2, master_weights=FLOAT32)"), master.toString());
        assertThrows(NullPointerException.class, () -> Adam.builder().masterWeights(null));
        try (Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(master);
            group.allocate(Dtype.BFLOAT16, 4);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> group.hyperParameters(plain));
            assertTrue(refused.getMessage().contains("keep master weights FLOAT32"), refused.getMessage());
            group.hyperParameters(master.withLr(0.5));
            assertEquals(0.5, group.lr());
        }
    }

    /**
     * A checkpoint and a state dict restore every master exactly: an optimizer that loads them and steps on gives
     * the bits of the one that saved them (the masters differ from the parameters, so a master taken from the
     * parameter would not). A file without the master, or with another kind, is refused.
     */
    @Test
    void filesRestoreTheMasterExactlyOrRefuse() throws IOException {
        Path checkpoint = directory.resolve("master.ckpt");
        Path stateDict = directory.resolve("master.safetensors");
        for (boolean fromCheckpoint : new boolean[] {true, false}) {
            String at = fromCheckpoint ? "checkpoint" : "state dict";
            try (Optimizer saved = trained(MasterWeights.FLOAT32, MasterWeights.SPLIT);
                 Optimizer loaded = untrained(MasterWeights.FLOAT32, MasterWeights.SPLIT)) {
                setValues(loaded, values(saved));
                if (fromCheckpoint) {
                    saved.save(checkpoint);
                    loaded.load(checkpoint);
                } else {
                    saved.saveStateDict(stateDict);
                    loaded.loadStateDict(stateDict);
                }
                for (int step = 0; step < 2; step++) {
                    fillGrads(saved, step);
                    fillGrads(loaded, step);
                    saved.step();
                    loaded.step();
                }
                List<byte[]> expected = values(saved);
                List<byte[]> actual = values(loaded);
                assertEquals(expected.size(), actual.size(), at);
                for (int p = 0; p < expected.size(); p++) {
                    assertEquals(-1, java.util.Arrays.mismatch(expected.get(p), actual.get(p)), at + " buffer " + p);
                }
            }
        }
        try (Optimizer none = untrained(MasterWeights.NONE, MasterWeights.NONE)) {
            assertRefused(() -> none.load(checkpoint), "master weights FLOAT32");
            assertRefused(() -> none.loadStateDict(stateDict), "master");
        }
        try (Optimizer other = untrained(MasterWeights.SPLIT, MasterWeights.SPLIT)) {
            assertRefused(() -> other.load(checkpoint), "master weights FLOAT32 and keeps SPLIT");
            assertRefused(() -> other.loadStateDict(stateDict), "master");
        }
        try (Optimizer none = trained(MasterWeights.NONE, MasterWeights.NONE);
             Optimizer master = untrained(MasterWeights.FLOAT32, MasterWeights.SPLIT)) {
            none.saveStateDict(stateDict);
            assertRefused(() -> master.loadStateDict(stateDict), "master");
        }
    }

    private static void assertRefused(Executable load, String reason) {
        refuses(IOException.class, load, reason);
    }

    private static void refuses(Class<? extends Exception> kind, Executable call, String reason) {
        Exception refused = assertThrows(kind, call);
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }

    /** Two groups of Adam with the masters given: one in the caller's memory, one allocated flat; no steps yet. */
    private static Optimizer untrained(MasterWeights first, MasterWeights second) {
        Optimizer optimizer = Optimizer.builder().build();
        Arena arena = Arena.ofAuto();
        ParameterGroup caller = optimizer.addGroup(Adam.builder().lr(0.01).masterWeights(first).build());
        caller.add(Dtype.BFLOAT16, arena.allocate(2 * 70), arena.allocate(2 * 70));
        caller.add(Dtype.FLOAT32, arena.allocate(4 * 9), arena.allocate(4 * 9));
        optimizer.addGroup(Adam.builder().lr(0.02).amsgrad(true).masterWeights(second).build())
                .allocate(Dtype.BFLOAT16, 33, 80);
        SplittableRandom random = new SplittableRandom(5);
        for (Parameter parameter : parameters(optimizer)) {
            fill(parameter.dtype(), parameter.value(), random);
        }
        return optimizer;
    }

    /** {@link #untrained} after 3 steps at tiny learning rates, where each master keeps what its bfloat16 cannot. */
    private static Optimizer trained(MasterWeights first, MasterWeights second) {
        Optimizer optimizer = untrained(first, second);
        for (int step = 0; step < 3; step++) {
            fillGrads(optimizer, 10 + step);
            optimizer.step();
        }
        return optimizer;
    }

    private static List<Parameter> parameters(Optimizer optimizer) {
        List<Parameter> parameters = new ArrayList<>();
        optimizer.groups().forEach(group -> parameters.addAll(group.parameters()));
        return parameters;
    }

    private static void fillGrads(Optimizer optimizer, int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Parameter parameter : parameters(optimizer)) {
            for (long i = 0; i < parameter.elementCount(); i++) {
                parameter.dtype().set(parameter.grad(), i, (float) random.nextGaussian());
            }
        }
    }

    /** Each parameter's value bytes, then its master's. */
    private static List<byte[]> values(Optimizer optimizer) {
        List<byte[]> values = new ArrayList<>();
        for (Parameter parameter : parameters(optimizer)) {
            values.add(parameter.value().toArray(ValueLayout.JAVA_BYTE));
            if (parameter.masterBuffer() != null) {
                values.add(parameter.masterBuffer().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return values;
    }

    private static void setValues(Optimizer optimizer, List<byte[]> values) {
        int v = 0;
        for (Parameter parameter : parameters(optimizer)) {
            parameter.value().copyFrom(MemorySegment.ofArray(values.get(v++)));
            if (parameter.masterBuffer() != null) {
                v++;
            }
        }
    }

    /** Random finite values of about 1, in float32, rounded to {@code dtype}. */
    private static void fill(Dtype dtype, MemorySegment segment, SplittableRandom random) {
        for (long i = 0; i < segment.byteSize() / dtype.bytes(); i++) {
            dtype.set(segment, i, random.nextInt(50) == 0 ? TestFloats.value(random, 2)
                    : (float) random.nextGaussian());
        }
    }

    /** The oracle: a float32 copy of one 16-bit parameter, stepped by the same optimizer without a master. */
    private static final class Float32Copy {
        private final Algorithm float32;
        private final Dtype dtype;
        private final MemorySegment master;
        private final MemorySegment grad;
        private final MemorySegment[] state;

        Float32Copy(Arena arena, Algorithm algorithm, Dtype dtype, MemorySegment initial) {
            this.float32 = algorithm.toBuilder().masterWeights(MasterWeights.NONE).build();
            this.dtype = dtype;
            long elements = initial.byteSize() / dtype.bytes();
            this.master = arena.allocate(elements * Float.BYTES);
            this.grad = arena.allocate(elements * Float.BYTES);
            for (long i = 0; i < elements; i++) {
                Dtype.FLOAT32.set(master, i, dtype.get(initial, i));
            }
            Dtype stateDtype = float32.stateDtype(Dtype.FLOAT32);
            List<String> names = float32.stateNames();
            state = new MemorySegment[names.size() + float32.scalarNames().size()];
            for (int s = 0; s < state.length; s++) {
                state[s] = arena.allocate(s < names.size() ? elements * stateDtype.bytes()
                        : float32.scalarBytes().get(s - names.size()));
                for (long i = 0; s < names.size() && i < elements; i++) {
                    stateDtype.set(state[s], i, float32.initialState(names.get(s)));
                }
            }
        }

        void step(long step, MemorySegment stepGrad) {
            for (long i = 0; i < grad.byteSize() / Float.BYTES; i++) {
                Dtype.FLOAT32.set(grad, i, dtype.get(stepGrad, i));
            }
            float32.step(step, master, grad, state);
        }

        void assertHeldBy(String at, Parameter parameter) {
            MemorySegment copied = Arena.ofAuto().allocate(parameter.elementCount() * Float.BYTES);
            parameter.copyMasterTo(copied);
            for (long i = 0; i < parameter.elementCount(); i++) {
                assertSame(at + " copyMasterTo", i, Dtype.FLOAT32.get(master, i), Dtype.FLOAT32.get(copied, i));
            }
            if (parameter.masterWeights() == MasterWeights.SPLIT) {
                assertJoined(at, parameter.value(), parameter.masterBuffer());
            } else {
                for (long i = 0; i < parameter.elementCount(); i++) {
                    float expected = Dtype.FLOAT32.get(master, i);
                    assertSame(at + " master", i, expected, Dtype.FLOAT32.get(parameter.masterBuffer(), i));
                    assertSame(at + " value", i, dtype.format().round(expected), dtype.get(parameter.value(), i));
                }
            }
            List<String> names = float32.stateNames();
            Dtype stateDtype = parameter.stateDtype();
            for (int s = 0; s < names.size(); s++) {
                MemorySegment kept = parameter.state(names.get(s));
                for (long i = 0; i < parameter.elementCount(); i++) {
                    assertSame(at + " " + names.get(s), i, stateDtype.get(state[s], i), stateDtype.get(kept, i));
                }
            }
            for (int s = 0; s < float32.scalarNames().size(); s++) {
                String name = float32.scalarNames().get(s);
                TestFloats.assertSameBits(at + " " + name, state[names.size() + s], parameter.state(name));
            }
        }

        /** Fails unless {@code upper} and {@code lower}, a split master, join to the copy's floats. */
        void assertJoined(String at, MemorySegment upper, MemorySegment lower) {
            for (long i = 0; i < upper.byteSize() / Short.BYTES; i++) {
                int bits = upper.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16
                        | lower.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
                assertSame(at + " split master", i, Dtype.FLOAT32.get(master, i), Float.intBitsToFloat(bits));
            }
        }

        private static void assertSame(String what, long i, float expected, float actual) {
            if (!TestFloats.sameBits(expected, actual)) {
                fail(what + "[" + i + "]: " + TestFloats.describe(actual) + ", expected "
                        + TestFloats.describe(expected));
            }
        }
    }
}
