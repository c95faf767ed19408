package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link WidenedKernel}: for every storage of the parameter, the gradient and the state, every family, flags,
 * width, length, misalignment and chunking, each element gets what the scalar float32 reference computes on its
 * widened values, one element at a time, rounded once to its buffer's dtype at the store; with a master, the
 * float32 update of the master, the parameter set from it; under stochastic rounding, each state element rounded as
 * {@link StochasticRounding#round} rounds it at its index. Lengths reach past
 * {@link WidenedKernel#BLOCK}, so blocks meet chunk boundaries anywhere.
 */
class WidenedKernelProperties {

    @Test
    void everyElementGetsTheFloat32UpdateRoundedOnceAtTheStore() {
        qt().withExamples(1200).forAll(KernelCase.any(), longRange(0, Long.MAX_VALUE)).checkAssert((c, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            Format[] dtypes = Format.values();
            Format param = dtypes[random.nextInt(3)];
            Master master = param == Format.FLOAT32 ? Master.NONE
                    : Master.values()[random.nextInt(param == Format.BFLOAT16 ? 3 : 2)];
            Format state = dtypes[random.nextInt(3)];
            StochasticRounding stochastic = state == Format.BFLOAT16 && random.nextBoolean()
                    ? new StochasticRounding(random.nextLong()) : null;
            Storage storage = new Storage(param, dtypes[random.nextInt(3)], state, master, stochastic);
            try (Arena arena = Arena.ofConfined()) {
                Stored expected = Stored.of(c, storage, arena);
                Stored actual = expected.copy(arena);
                for (int step = 1; step <= c.steps(); step++) {
                    expected.stepOneElementAtATime(c.update(), step, arena);
                    long from = 0;
                    while (from < c.length()) {
                        long to = Math.min(c.length(), from + 1 + random.nextInt(Math.max(1, c.length() / 2)));
                        int bits = random.nextInt(5) == 0 ? Vectorization.SCALAR
                                : KernelCase.WIDTHS.get(random.nextInt(KernelCase.WIDTHS.size()));
                        actual.step(c.update(), step, bits, from, to);
                        from = to;
                    }
                    actual.assertSameValues(storage + " step " + step, expected);
                }
            }
        });
    }

    @Test
    void float32StorageIsTheFloat32KernelItself() {
        UpdateKernel<SgdKernel.Coefficients> floats = Kernels.kernel(SgdKernel.FAMILY, Vectorization.SCALAR,
                new SgdKernel.Flags(false, false, false, false, false));
        assertSame(floats, WidenedKernel.of(floats, Vectorization.SCALAR, Storage.of(Format.FLOAT32), 1));
        assertThrows(IllegalArgumentException.class,
                () -> WidenedKernel.of(floats, Vectorization.SCALAR, Storage.of(Format.BFLOAT16), -1));
        assertThrows(NullPointerException.class, () -> new Storage(Format.FLOAT32, null, Format.FLOAT32));
        assertThrows(IllegalArgumentException.class,
                () -> new Storage(Format.FLOAT32, Format.FLOAT32, Format.FLOAT32, Master.FLOAT32));
        assertThrows(IllegalArgumentException.class,
                () -> new Storage(Format.FLOAT16, Format.FLOAT16, Format.FLOAT32, Master.SPLIT));
    }

    /**
     * A case's buffers stored in its storage's dtypes, with the per-parameter scalars of its float32 buffers, and
     * its master (null for none): the parameter's floats themselves, or for a split one their lower 16 bits.
     */
    private record Stored(KernelCase c, Storage storage, MemorySegment param, MemorySegment grad,
                          MemorySegment[] state, MemorySegment master, Buffers floats) {

        static Stored of(KernelCase c, Storage storage, Arena arena) {
            Buffers floats = c.buffers(arena);
            MemorySegment[] state = new MemorySegment[floats.state().length];
            for (int s = 0; s < state.length; s++) {
                state[s] = narrowed(floats.state(s), storage.state(), c, arena);
            }
            MemorySegment master = switch (storage.master()) {
                case NONE -> null;
                case FLOAT32 -> copy(floats.param(), arena);
                case SPLIT -> lowerHalves(floats.param(), c.length(), arena);
            };
            return new Stored(c, storage, narrowed(floats.param(), storage.param(), c, arena),
                    narrowed(floats.grad(), storage.grad(), c, arena), state, master, floats);
        }

        private static MemorySegment lowerHalves(MemorySegment source, int length, Arena arena) {
            MemorySegment lower = arena.allocate((long) length * Short.BYTES, 64);
            for (long i = 0; i < length; i++) {
                lower.setAtIndex(Floats.HALF, i, (short) source.getAtIndex(Floats.BITS, i));
            }
            return lower;
        }

        /** {@code source}'s floats rounded to {@code dtype}, at the case's misalignment (in whole elements). */
        private static MemorySegment narrowed(MemorySegment source, Format dtype, KernelCase c, Arena arena) {
            long offset = (long) (c.byteOffset() % 8) * dtype.bytes();
            MemorySegment stored = arena.allocate((long) c.length() * dtype.bytes() + offset, 64)
                    .asSlice(offset, (long) c.length() * dtype.bytes());
            for (long i = 0; i < c.length(); i++) {
                dtype.store(stored, i, source.getAtIndex(Floats.FLOAT, i));
            }
            return stored;
        }

        Stored copy(Arena arena) {
            MemorySegment[] stateCopy = new MemorySegment[state.length];
            for (int s = 0; s < state.length; s++) {
                stateCopy[s] = copy(state[s], arena);
            }
            return new Stored(c, storage, copy(param, arena), copy(grad, arena), stateCopy,
                    master == null ? null : copy(master, arena), floats.copy(arena));
        }

        private static MemorySegment copy(MemorySegment source, Arena arena) {
            return arena.allocate(source.byteSize(), 64).copyFrom(source);
        }

        /** The buffers, then the scalars, then the master if {@code master} is not null. */
        private MemorySegment[] kernelState(MemorySegment[] buffers, MemorySegment master) {
            java.util.List<Integer> scalarBytes = c.update().family().scalarBytes();
            MemorySegment[] kernelState = new MemorySegment[buffers.length + scalarBytes.size()
                    + (master == null ? 0 : 1)];
            System.arraycopy(buffers, 0, kernelState, 0, buffers.length);
            for (int s = 0; s < scalarBytes.size(); s++) {
                kernelState[buffers.length + s] = floats.scalar(s, scalarBytes.get(s));
            }
            if (master != null) {
                kernelState[kernelState.length - 1] = master;
            }
            return kernelState;
        }

        <C, F extends Record> void step(Update<C, F> update, int step, int bits, long from, long to) {
            UpdateKernel<C> kernel = WidenedKernel.of(Kernels.kernel(update.family().kernels(), bits,
                    update.flags(step)), bits, storage, state.length);
            if (kernel instanceof WidenedKernel<C> widened) {
                widened.atStep(step);
            }
            kernel.step(param, grad, kernelState(state, master), update.coefficients(), from, to);
        }

        /** The oracle: the scalar float32 reference on one widened element at a time. */
        <C, F extends Record> void stepOneElementAtATime(Update<C, F> update, int step, Arena arena) {
            UpdateKernel<C> reference = Kernels.kernel(update.family().kernels(), Vectorization.SCALAR,
                    update.flags(step));
            MemorySegment p = arena.allocate(Float.BYTES);
            MemorySegment g = arena.allocate(Float.BYTES);
            MemorySegment[] s = new MemorySegment[state.length];
            for (int b = 0; b < s.length; b++) {
                s[b] = arena.allocate(Float.BYTES);
            }
            MemorySegment[] kernelState = kernelState(s, null);
            for (long i = 0; i < c.length(); i++) {
                switch (storage.master()) {
                    case NONE -> p.set(Floats.FLOAT, 0, storage.param().load(param, i));
                    case FLOAT32 -> p.set(Floats.BITS, 0, master.getAtIndex(Floats.BITS, i));
                    case SPLIT -> p.set(Floats.BITS, 0, param.getAtIndex(Floats.HALF, i) << 16
                            | master.getAtIndex(Floats.HALF, i) & 0xFFFF);
                }
                g.set(Floats.FLOAT, 0, storage.grad().load(grad, i));
                for (int b = 0; b < s.length; b++) {
                    s[b].set(Floats.FLOAT, 0, storage.state().load(state[b], i));
                }
                reference.step(p, g, kernelState, update.coefficients(), 0, 1);
                switch (storage.master()) {
                    case NONE -> storage.param().store(param, i, p.get(Floats.FLOAT, 0));
                    case FLOAT32 -> {
                        master.setAtIndex(Floats.BITS, i, p.get(Floats.BITS, 0));
                        storage.param().store(param, i, p.get(Floats.FLOAT, 0));
                    }
                    case SPLIT -> {
                        param.setAtIndex(Floats.HALF, i, (short) (p.get(Floats.BITS, 0) >>> 16));
                        master.setAtIndex(Floats.HALF, i, (short) p.get(Floats.BITS, 0));
                    }
                }
                for (int b = 0; b < s.length; b++) {
                    if (storage.stochastic() != null) {
                        state[b].setAtIndex(Floats.HALF, i, StochasticRounding.round(s[b].get(Floats.FLOAT, 0),
                                storage.stochastic().key(step, b), i));
                    } else {
                        storage.state().store(state[b], i, s[b].get(Floats.FLOAT, 0));
                    }
                }
            }
        }

        void assertSameValues(String what, Stored expected) {
            assertSameValues(what + " param", storage.param(), expected.param, param);
            assertSameValues(what + " grad", storage.grad(), expected.grad, grad);
            for (int b = 0; b < state.length; b++) {
                assertSameValues(what + " state " + b, storage.state(), expected.state[b], state[b]);
            }
            if (storage.master() == Master.FLOAT32) {
                assertSameValues(what + " master", Format.FLOAT32, expected.master, master);
            } else if (storage.master() == Master.SPLIT) {
                assertSameValues(what + " master", Format.FLOAT32, expected.joined(), joined());
            }
        }

        /** A split master's float32 values. */
        private MemorySegment joined() {
            MemorySegment joined = Arena.ofAuto().allocate((long) c.length() * Float.BYTES);
            for (long i = 0; i < c.length(); i++) {
                joined.setAtIndex(Floats.BITS, i, param.getAtIndex(Floats.HALF, i) << 16
                        | master.getAtIndex(Floats.HALF, i) & 0xFFFF);
            }
            return joined;
        }

        private void assertSameValues(String what, Format dtype, MemorySegment expected, MemorySegment actual) {
            for (long i = 0; i < c.length(); i++) {
                float e = dtype.load(expected, i);
                float a = dtype.load(actual, i);
                if (!TestFloats.sameBits(e, a)) {
                    fail(what + "[" + i + "] of " + c.length() + ": " + TestFloats.describe(a) + ", expected "
                            + TestFloats.describe(e));
                }
            }
        }
    }
}
