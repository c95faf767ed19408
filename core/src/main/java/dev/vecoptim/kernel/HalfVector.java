package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector {@link HalfKernel}: a template, which {@link PanamaKernels} defines per width and format. The Vector
 * API has neither 16-bit float format, so both conversions are integer arithmetic on the lanes' bits, as
 * {@link Bf16} and {@link Fp16} convert one element, but for float16's subnormals, which a float multiply and add
 * round and a cast converts. Float32 memory is loaded and stored as int lanes (and loaded again as float lanes
 * where float arithmetic is wanted): no vector is ever reinterpreted, because the Vector API's Java fallback for a
 * reinterpretation (what the interpreter and C1 run before C2 compiles) goes through a heap {@code MemorySegment},
 * which leaves the JDK's segment-access code profiled with two segment kinds in every loop compiled afterwards;
 * that made the conversions 2 to 5 times slower when they ran between other vector loops (measured).
 *
 * <p>The lane conversions are this template's own methods, not a shared helper's: a helper class is compiled once
 * for every species, becomes too big to inline ("already compiled into a big method"), and then runs the Vector
 * API's Java fallback, 50 to 500 times slower (measured). Each loop also loads and stores its own lanes: moving the
 * 16-bit load and store of {@code widen} and {@code narrow} into two private methods shared with the other loops
 * made bfloat16 Adam 2 to 3 times slower (1M elements: 330 to 650 steps a second against 1,160 to 1,700). At 64
 * bits, two floats' 16-bit lanes are 32 bits, below the Vector API's smallest shape: its masked 64-bit lanes ran
 * at 12 to 52 ns an element, so the scalar loop converts them instead.
 */
final class HalfVector implements HalfKernel {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final HalfKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), HalfKernel.Flags.class);
    private static final boolean BF16 = FLAGS.format() == Format.BFLOAT16;
    /** Whether the 16-bit lanes would be narrower than any shape: two floats' (64 bits), converted by the tail. */
    private static final boolean SCALAR = SPECIES.length() * Short.SIZE < 64;
    /** As many 16-bit lanes as float lanes (a placeholder 64-bit shape when {@link #SCALAR}). */
    private static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class,
            VectorShape.forBitSize(Math.max(64, SPECIES.length() * Short.SIZE)));
    private static final VectorSpecies<Integer> INTS = SPECIES.withLanes(int.class);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final HalfKernel TAIL = new HalfKernel.Scalar(FLAGS);
    /** The bits of float32 2^-14, half precision's smallest normal. */
    private static final int HALF_MIN_NORMAL = 0x38800000;
    /** The bits of half precision's smallest normal, 2^-14. */
    private static final int HALF_MIN_NORMAL_BITS = 0x0400;
    /** The bits of float32 65520: from there on half precision rounds to infinity. */
    private static final int HALF_OVERFLOW = 0x477FF000;
    private static final int FLOAT_INFINITY = 0x7F800000;
    private static final int FLOAT_QUIET_NAN = 0x7FC00000;
    /** Half precision's infinity with its exponent in float32's place (shifted left by 13). */
    private static final int HALF_INFINITY_SHIFTED = 0x0F800000;

    @Override
    public void widen(MemorySegment halves, long halvesIndex, MemorySegment floats, long floatsIndex, long count) {
        long vectorEnd = SCALAR ? 0 : SPECIES.loopBound(count);
        for (long k = 0; k < vectorEnd; k += SPECIES.length()) {
            ShortVector raw = ShortVector.fromMemorySegment(HALVES, halves, (halvesIndex + k) * Short.BYTES, ORDER);
            // Sign-extended: bf16's shift drops the copies of the sign, and a half's sign lands on float32's.
            IntVector bits = (IntVector) raw.convertShape(VectorOperators.S2I, INTS, 0);
            (BF16 ? bits.lanewise(VectorOperators.LSHL, 16) : widenHalf(bits))
                    .intoMemorySegment(floats, (floatsIndex + k) * Float.BYTES, ORDER);
        }
        if (vectorEnd < count) {
            TAIL.widen(halves, halvesIndex + vectorEnd, floats, floatsIndex + vectorEnd, count - vectorEnd);
        }
    }

    @Override
    public void narrow(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex, long count) {
        long vectorEnd = SCALAR ? 0 : SPECIES.loopBound(count);
        for (long k = 0; k < vectorEnd; k += SPECIES.length()) {
            long offset = (floatsIndex + k) * Float.BYTES;
            IntVector bits = IntVector.fromMemorySegment(INTS, floats, offset, ORDER);
            ShortVector narrowed = (ShortVector) (BF16 ? narrowBf16(bits)
                    : narrowHalf(bits, FloatVector.fromMemorySegment(SPECIES, floats, offset, ORDER)))
                    .convertShape(VectorOperators.I2S, HALVES, 0);
            narrowed.intoMemorySegment(halves, (halvesIndex + k) * Short.BYTES, ORDER);
        }
        if (vectorEnd < count) {
            TAIL.narrow(floats, floatsIndex + vectorEnd, halves, halvesIndex + vectorEnd, count - vectorEnd);
        }
    }

    @Override
    public void narrowStochastic(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex,
                                 long count, int key) {
        if (!BF16) {
            throw new UnsupportedOperationException("stochastic rounding rounds to bfloat16, not " + FLAGS.format());
        }
        long vectorEnd = SCALAR ? 0 : SPECIES.loopBound(count);
        IntVector lanes = IntVector.zero(INTS).addIndex(1);
        for (long k = 0; k < vectorEnd; k += SPECIES.length()) {
            IntVector bits = IntVector.fromMemorySegment(INTS, floats, (floatsIndex + k) * Float.BYTES, ORDER);
            // StochasticRounding.random, lane by lane: the index modulo 2^32, as its int cast keeps it, then
            // MurmurHash3's finalizer.
            IntVector h = lanes.add((int) (halvesIndex + k)).mul(0x9E3779B9).add(key)
                    .lanewise(VectorOperators.XOR, bits);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
            h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
            IntVector random = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).and(0xFFFF);
            ShortVector rounded = (ShortVector) bits.add(random).lanewise(VectorOperators.LSHR, 16)
                    .blend(Bf16.NAN, bits.and(0x7FFFFFFF).compare(VectorOperators.GT, FLOAT_INFINITY))
                    .convertShape(VectorOperators.I2S, HALVES, 0);
            rounded.intoMemorySegment(halves, (halvesIndex + k) * Short.BYTES, ORDER);
        }
        if (vectorEnd < count) {
            TAIL.narrowStochastic(floats, floatsIndex + vectorEnd, halves, halvesIndex + vectorEnd,
                    count - vectorEnd, key);
        }
    }

    @Override
    public void join(MemorySegment upper, MemorySegment lower, long halvesIndex, MemorySegment floats,
                     long floatsIndex, long count) {
        long vectorEnd = SCALAR ? 0 : SPECIES.loopBound(count);
        for (long k = 0; k < vectorEnd; k += SPECIES.length()) {
            long offset = (halvesIndex + k) * Short.BYTES;
            IntVector high = (IntVector) ShortVector.fromMemorySegment(HALVES, upper, offset, ORDER)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            IntVector low = (IntVector) ShortVector.fromMemorySegment(HALVES, lower, offset, ORDER)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            high.lanewise(VectorOperators.LSHL, 16).or(low.and(0xFFFF))
                    .intoMemorySegment(floats, (floatsIndex + k) * Float.BYTES, ORDER);
        }
        if (vectorEnd < count) {
            TAIL.join(upper, lower, halvesIndex + vectorEnd, floats, floatsIndex + vectorEnd, count - vectorEnd);
        }
    }

    @Override
    public void split(MemorySegment floats, long floatsIndex, MemorySegment upper, MemorySegment lower,
                      long halvesIndex, long count) {
        long vectorEnd = SCALAR ? 0 : SPECIES.loopBound(count);
        for (long k = 0; k < vectorEnd; k += SPECIES.length()) {
            long offset = (halvesIndex + k) * Short.BYTES;
            IntVector bits = IntVector.fromMemorySegment(INTS, floats, (floatsIndex + k) * Float.BYTES, ORDER);
            // The narrowing conversion keeps each lane's lower 16 bits.
            ((ShortVector) bits.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, HALVES, 0))
                    .intoMemorySegment(upper, offset, ORDER);
            ((ShortVector) bits.convertShape(VectorOperators.I2S, HALVES, 0)).intoMemorySegment(lower, offset, ORDER);
        }
        if (vectorEnd < count) {
            TAIL.split(floats, floatsIndex + vectorEnd, upper, lower, halvesIndex + vectorEnd, count - vectorEnd);
        }
    }

    /** Half precision's sign-extended bits to float32's, exactly. */
    private static IntVector widenHalf(IntVector bits) {
        IntVector magnitude = bits.and(0x7FFF);
        // A normal half: exponent and significand moved up into float32's places, the exponent rebased from 15 to 127.
        IntVector normal = magnitude.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        // A subnormal half, m·2^-24 with m below 1024: m shifted up until its leading 1 sits on float32's implicit
        // bit, whose carry into the exponent field the added exponent completes (z leading zeros: 2^(23 − z) ≤ m).
        IntVector zeros = magnitude.lanewise(VectorOperators.LEADING_ZEROS_COUNT);
        IntVector subnormal = magnitude.lanewise(VectorOperators.LSHL, zeros.sub(8))
                .add(zeros.neg().add(133).lanewise(VectorOperators.LSHL, 23));
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        return normal.blend(subnormal, magnitude.compare(VectorOperators.LT, HALF_MIN_NORMAL_BITS))
                .blend(0, magnitude.compare(VectorOperators.EQ, 0))
                .blend(shifted.or(FLOAT_INFINITY), shifted.compare(VectorOperators.GE, HALF_INFINITY_SHIFTED))
                .blend(shifted.or(FLOAT_QUIET_NAN), shifted.compare(VectorOperators.GT, HALF_INFINITY_SHIFTED))
                .or(bits.and(0x80000000));
    }

    private static IntVector narrowBf16(IntVector bits) {
        // Adding 0x7FFF, plus 1 when the kept part is odd, carries into bit 16 exactly when the dropped half rounds up.
        IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF)
                .lanewise(VectorOperators.LSHR, 16);
        return rounded.blend(Bf16.NAN, bits.and(0x7FFFFFFF).compare(VectorOperators.GT, FLOAT_INFINITY));
    }

    /** {@code bits} and {@code lanes}: the same floats, loaded as ints and as floats. */
    private static IntVector narrowHalf(IntVector bits, FloatVector lanes) {
        IntVector magnitude = bits.and(0x7FFFFFFF);
        // A normal half: the exponent rebased from 127 to 15, then the 13 dropped bits rounded as bf16's 16 are.
        IntVector normal = magnitude.sub(112 << 23).add(0xFFF).add(magnitude.lanewise(VectorOperators.LSHR, 13).and(1))
                .lanewise(VectorOperators.LSHR, 13);
        // A subnormal half counts 2^-24s: |f|·2^24 (exact) is below 1024, adding 2^23 rounds it to an integer, ties
        // to even, and subtracting 2^23 again leaves that integer, which the cast converts exactly.
        IntVector subnormal = (IntVector) lanes.abs().mul(0x1p24f).add(0x1p23f).sub(0x1p23f)
                .convert(VectorOperators.F2I, 0);
        return normal.blend(subnormal, magnitude.compare(VectorOperators.LT, HALF_MIN_NORMAL))
                .blend(0x7C00, magnitude.compare(VectorOperators.GE, HALF_OVERFLOW))
                .blend(Fp16.NAN, magnitude.compare(VectorOperators.GT, FLOAT_INFINITY))
                .or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000));
    }
}
