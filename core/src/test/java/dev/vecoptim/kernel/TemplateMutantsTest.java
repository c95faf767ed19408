package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The vector templates' own mutation test: every mutant {@link TemplateMutants} makes of them is defined
 * through the same factory as the real kernels and compared, at every width and flag combination, with the
 * scalar reference on the inputs the kernel properties use. A mutant that gives other bits, or throws, is
 * killed; the few that survive must be the equivalent ones listed here, each with the reason it computes the
 * same bits.
 */
class TemplateMutantsTest {
    private static final List<Integer> LENGTHS = List.of(1, 3, 8, 16, 17, 37, 70);
    private static final int STEPS = 2;

    /** Mutants that cannot change a bit, and why. */
    private static final Map<String, String> EQUIVALENT = Map.of(
            "NormVector.accumulate: 1st DoubleVector.fma → mul then add",
            "a float's square is exact in double (24-bit significands, 48-bit product), so g·g rounds to itself",
            "NormVector.sumOfSquares: 1st Math.fma → mul then add",
            "the same exact square, for the tail",
            "RpropVector.step: 1st FloatVector.fma → mul then add",
            "−sign(g) is ±1 or −0, so its product with the step size is exact and fusing cannot round it");

    private final PanamaKernels factory = new PanamaKernels();

    @Test
    void everyMutantOfTheTemplatesIsKilledOrProvedEquivalent() {
        Map<String, String> survivors = new TreeMap<>();
        int mutants = 0;
        for (Update.Family<?, ?> family : Update.FAMILIES) {
            mutants += mutate(family.kernels().template(), bytes -> updateKilled(family, bytes), survivors);
        }
        mutants += mutate(NormKernel.FAMILY.template(), this::normKilled, survivors);
        mutants += mutate(HalfKernel.FAMILY.template(), this::halfKilled, survivors);
        System.out.println(mutants + " template mutants, " + survivors.size() + " equivalent");
        assertEquals(EQUIVALENT.keySet(), survivors.keySet());
    }

    /**
     * Checks that the unmutated {@code template} is not killed, then puts each of its mutants that {@code killed}
     * does not kill into {@code survivors}; returns how many mutants it made.
     */
    private static int mutate(String template, Predicate<byte[]> killed, Map<String, String> survivors) {
        assertFalse(killed.test(TemplateMutants.read(template)), "the unmutated " + template + " differs");
        List<TemplateMutants.Mutant> mutants = TemplateMutants.of(template);
        for (TemplateMutants.Mutant mutant : mutants) {
            if (!killed.test(mutant.bytes())) {
                survivors.put(mutant.toString(), "survived");
            }
        }
        return mutants.size();
    }

    /** Whether a mutated update template gives other bits than the scalar reference anywhere. */
    private boolean updateKilled(Update.Family<?, ?> family, byte[] bytes) {
        SplittableRandom random = new SplittableRandom(family.kernels().template().hashCode());
        for (Update<?, ?> update : family.everyFlagCombination(random)) {
            // First with the coefficients as drawn, then with each parameter prepared as a step prepares it (a
            // layer-wise kernel's trust ratio worked out of the data, which overwrites the one drawn).
            if (killed(update, bytes, random, false) || killed(update, bytes, random, true)) {
                return true;
            }
        }
        return false;
    }

    private <C, F extends Record> boolean killed(Update<C, F> update, byte[] bytes, SplittableRandom random,
                                                 boolean prepared) {
        for (int bits : KernelCase.WIDTHS) {
            List<UpdateKernel<C>> kernels = new ArrayList<>();
            for (int step = 1; step <= STEPS; step++) {
                kernels.add(factory.define(bytes, update.family().kernels().type(), bits, Format.FLOAT32,
                        update.flags(step)));
            }
            for (int length : LENGTHS) {
                try (Arena arena = Arena.ofConfined()) {
                    Buffers expected = Buffers.nativeFilled(arena, length, update.stateBuffers(), 4 * (length % 3),
                            random.nextLong());
                    if (prepared) {
                        // Finite inputs, whose norms are finite: one NaN or infinity makes a whole sum so.
                        expected.finiteInputs(1e15f);
                    }
                    Buffers actual = expected.copy(arena);
                    // After every step: a mutant may differ after one step and agree again after the next.
                    for (int step = 1; step <= STEPS; step++) {
                        // The mutant first: a preparation's scratch, which it may leave unwritten, holds the last
                        // step's values then, not this one's.
                        List<Object> mutantPrepared = null;
                        if (prepared) {
                            update.prepare(kernels.get(step - 1), actual, length);
                            mutantPrepared = update.coefficientValues();
                        }
                        update.run(kernels.get(step - 1), actual, 0, length);
                        if (prepared) {
                            update.prepare(0, expected, step, length);
                            if (!mutantPrepared.equals(update.coefficientValues())
                                    || preparedValuesDiffer(update, kernels.get(step - 1), step, expected, arena)) {
                                return true;
                            }
                        }
                        update.apply(0, expected, step, 0, length);
                        if (!actual.sameBits(expected)) {
                            return true;
                        }
                    }
                } catch (RuntimeException | AssertionError failed) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether a mutated conversion template narrows or widens anything otherwise than the scalar reference: every
     * 16-bit pattern widened, and narrowed the floats around each format's boundaries (its subnormals, smallest
     * normal, largest finite, infinities and NaNs, ties both ways) and random floats.
     */
    private boolean halfKilled(byte[] bytes) {
        int patterns = 1 << 16;
        SplittableRandom random = new SplittableRandom(29);
        for (Format format : List.of(Format.BFLOAT16, Format.FLOAT16)) {
            HalfKernel.Flags flags = new HalfKernel.Flags(format);
            HalfKernel reference = new HalfKernel.Scalar(flags);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment halves = arena.allocate(2L * patterns, 64);
                MemorySegment floats = arena.allocate(4L * patterns, 64);
                for (int i = 0; i < patterns; i++) {
                    halves.setAtIndex(Floats.HALF, i, (short) i);
                    // Each 16-bit pattern's float, then a neighbour: half an ulp of the format away, or random.
                    int bits = format == Format.BFLOAT16 ? i << 16 : Float.floatToRawIntBits(Fp16.toFloat((short) i));
                    floats.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, switch (i % 4) {
                        case 0 -> bits;
                        case 1 -> bits + (format == Format.BFLOAT16 ? 0x8000 : 0x1000);
                        case 2 -> bits + (format == Format.BFLOAT16 ? 0x18000 : 0x3000);
                        default -> random.nextInt();
                    });
                }
                for (int bits : KernelCase.WIDTHS) {
                    HalfKernel mutant = factory.define(bytes, HalfKernel.class, bits, Format.FLOAT32, flags);
                    MemorySegment expected = arena.allocate(4L * patterns, 64);
                    MemorySegment actual = arena.allocate(4L * patterns, 64);
                    reference.widen(halves, 0, expected, 0, patterns);
                    mutant.widen(halves, 0, actual, 0, patterns);
                    if (expected.mismatch(actual) >= 0) {
                        return true;
                    }
                    reference.narrow(floats, 0, expected, 0, patterns);
                    mutant.narrow(floats, 0, actual, 0, patterns);
                    if (expected.mismatch(actual) >= 0) {
                        return true;
                    }
                    if (format == Format.BFLOAT16) {
                        reference.narrowStochastic(floats, 0, expected, 0, patterns, 0x5EED);
                        mutant.narrowStochastic(floats, 0, actual, 0, patterns, 0x5EED);
                        if (expected.mismatch(actual) >= 0) {
                            return true;
                        }
                    }
                    // A split master: the patterns as upper halves beside the floats' bytes as lower ones; the floats split.
                    MemorySegment lower = floats.asSlice(0, 2L * patterns);
                    reference.join(halves, lower, 0, expected, 0, patterns);
                    mutant.join(halves, lower, 0, actual, 0, patterns);
                    if (expected.mismatch(actual) >= 0) {
                        return true;
                    }
                    reference.split(floats, 0, expected, expected.asSlice(2L * patterns), 0, patterns);
                    mutant.split(floats, 0, actual, actual.asSlice(2L * patterns), 0, patterns);
                    if (expected.mismatch(actual) >= 0) {
                        return true;
                    }
                }
            } catch (RuntimeException | AssertionError failed) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a kernel whose preparation computes values ({@link PreparedValues}) computes others than the scalar
     * reference over {@code buffers}: a norm of them would hide a last bit.
     */
    @SuppressWarnings("unchecked")
    private static <C, F extends Record> boolean preparedValuesDiffer(Update<C, F> update, UpdateKernel<C> mutant,
                                                                      long step, Buffers buffers, Arena arena) {
        UpdateKernel<C> reference = Kernels.kernel(update.family().kernels(), 0, update.flags(step));
        if (!(mutant instanceof PreparedValues<?>)) {
            return false;
        }
        int length = (int) (buffers.param().byteSize() / Float.BYTES);
        MemorySegment[] outputs = new MemorySegment[4];
        for (int o = 0; o < outputs.length; o++) {
            outputs[o] = arena.allocate(4L * Math.max(1, length), 64);
        }
        MemorySegment[] state = update.state(buffers);
        ((PreparedValues<C>) mutant).compute(buffers.param(), buffers.grad(), state, update.coefficients(), 0, length,
                outputs[0], outputs[1], 0);
        ((PreparedValues<C>) reference).compute(buffers.param(), buffers.grad(), state, update.coefficients(), 0,
                length, outputs[2], outputs[3], 0);
        return !TestFloats.sameBits(outputs[2], outputs[0]) || !TestFloats.sameBits(outputs[3], outputs[1]);
    }

    /** Whether a mutated norm template gives another sum of squares or other scaled bits anywhere. */
    private boolean normKilled(byte[] bytes) {
        SplittableRandom random = new SplittableRandom(17);
        NormKernel reference = new NormKernel.Scalar();
        for (int bits : Vectorization.NORM_WIDTHS) {
            NormKernel mutant = factory.define(bytes, NormKernel.class, bits, Format.FLOAT32, new NoFlags());
            for (int length : List.of(0, 5, 16, 31, 33, 100)) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment expected = arena.allocate(4L * length, 64);
                    TestFloats.fill(expected, random, 20);
                    MemorySegment actual = arena.allocate(4L * length, 64).copyFrom(expected);
                    if (Double.doubleToLongBits(mutant.sumOfSquares(actual, 0, length))
                            != Double.doubleToLongBits(reference.sumOfSquares(expected, 0, length))) {
                        return true;
                    }
                    for (boolean laneFma : new boolean[] {false, true}) {
                        if (Float.floatToIntBits(mutant.pyTorchSumOfSquares(actual, 0, length, laneFma))
                                != Float.floatToIntBits(reference.pyTorchSumOfSquares(expected, 0, length, laneFma))) {
                            return true;
                        }
                        float[] mutantLanes = new float[NormKernel.PYTORCH_LANES];
                        for (int lane = 0; lane < mutantLanes.length; lane++) {
                            mutantLanes[lane] = TestFloats.coefficient(random);
                        }
                        float[] referenceLanes = mutantLanes.clone();
                        float[] mutantOthers = mutantLanes.clone();
                        java.util.Collections.reverse(java.util.Arrays.asList(mutantOthers));
                        float[] referenceOthers = mutantOthers.clone();
                        long lanesEnd = length / NormKernel.PYTORCH_LANES * NormKernel.PYTORCH_LANES;
                        MemorySegment other = arena.allocate(4L * length, 64);
                        TestFloats.fill(other, random, 20);
                        mutant.addPyTorchLanes(actual, mutantLanes, other, mutantOthers, 0, lanesEnd, laneFma);
                        reference.addPyTorchLanes(expected, referenceLanes, other, referenceOthers, 0, lanesEnd,
                                laneFma);
                        if (!java.util.Arrays.equals(mutantLanes, referenceLanes)
                                || !java.util.Arrays.equals(mutantOthers, referenceOthers)) {
                            return true;
                        }
                    }
                    float factor = TestFloats.coefficient(random);
                    mutant.scale(actual, factor, 0, length);
                    reference.scale(expected, factor, 0, length);
                    if (!TestFloats.sameBits(expected, actual)) {
                        return true;
                    }
                } catch (RuntimeException | AssertionError failed) {
                    return true;
                }
            }
        }
        return false;
    }
}
