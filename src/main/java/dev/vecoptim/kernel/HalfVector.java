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
 * {@link Bf16} and {@link Fp16} convert one element.
 *
 * <p>The lane conversions are this template's own methods, not a shared helper's: a helper class is compiled once
 * for every species, becomes too big to inline ("already compiled into a big method"), and then runs the Vector
 * API's Java fallback, 50 to 500 times slower (measured). At 64 bits, two floats' 16-bit lanes are 32 bits, below
 * the Vector API's smallest shape: its masked 64-bit lanes ran at 12 to 52 ns an element, so the scalar loop
 * converts them instead.
 */
final class HalfVector implements HalfKernel {
    private static final VectorSpecies<Float> SPECIES = PanamaKernels.species(MethodHandles.lookup());
    private static final HalfKernel.Flags FLAGS = PanamaKernels.flags(MethodHandles.lookup(), HalfKernel.Flags.class);
    private static final boolean BF16 = FLAGS.format() == Dtype.BFLOAT16;
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
    /** The bits of float32 65520: from there on half precision rounds to infinity. */
    private static final int HALF_OVERFLOW = 0x477FF000;
    private static final int FLOAT_INFINITY = 0x7F800000;
    private static final int FLOAT_QUIET_NAN = 0x7FC00000;
    /** Half precision's infinity with its exponent in float32's place (shifted left by 13). */
    private static final int HALF_INFINITY_SHIFTED = 0x0F800000;

    @Override
    public void widen(MemorySegment halves, MemorySegment floats, long from, long to) {
        long vectorEnd = SCALAR ? from : from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            ShortVector raw = ShortVector.fromMemorySegment(HALVES, halves, i * Short.BYTES, ORDER);
            // Sign-extended: bf16's shift drops the copies of the sign, and a half's sign lands on float32's.
            IntVector bits = (IntVector) raw.convertShape(VectorOperators.S2I, INTS, 0);
            PanamaLanes.store(BF16 ? bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats() : widenHalf(bits),
                    floats, i);
        }
        if (vectorEnd < to) {
            TAIL.widen(halves, floats, vectorEnd, to);
        }
    }

    @Override
    public void narrow(MemorySegment floats, MemorySegment halves, long from, long to) {
        long vectorEnd = SCALAR ? from : from + SPECIES.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += SPECIES.length()) {
            IntVector bits = PanamaLanes.load(SPECIES, floats, i).reinterpretAsInts();
            ShortVector narrowed = (ShortVector) (BF16 ? narrowBf16(bits) : narrowHalf(bits))
                    .convertShape(VectorOperators.I2S, HALVES, 0);
            narrowed.intoMemorySegment(halves, i * Short.BYTES, ORDER);
        }
        if (vectorEnd < to) {
            TAIL.narrow(floats, halves, vectorEnd, to);
        }
    }

    /** Half precision's sign-extended bits to float32: exponent and significand moved up, then rebased exactly. */
    private static FloatVector widenHalf(IntVector bits) {
        // Times 2^112 rebases the exponent from 15 to 127 and makes a half subnormal (a float32 subnormal here)
        // the float32 normal it stands for; both exactly.
        IntVector magnitude = bits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        return finite.blend(magnitude.or(FLOAT_INFINITY), magnitude.compare(VectorOperators.GE, HALF_INFINITY_SHIFTED))
                .blend(magnitude.or(FLOAT_QUIET_NAN), magnitude.compare(VectorOperators.GT, HALF_INFINITY_SHIFTED))
                .or(bits.and(0x80000000)).reinterpretAsFloats();
    }

    private static IntVector narrowBf16(IntVector bits) {
        // Adding 0x7FFF, plus 1 when the kept part is odd, carries into bit 16 exactly when the dropped half rounds up.
        IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF)
                .lanewise(VectorOperators.LSHR, 16);
        return rounded.blend(Bf16.NAN, bits.and(0x7FFFFFFF).compare(VectorOperators.GT, FLOAT_INFINITY));
    }

    private static IntVector narrowHalf(IntVector bits) {
        IntVector magnitude = bits.and(0x7FFFFFFF);
        // A normal half: the exponent rebased from 127 to 15, then the 13 dropped bits rounded as bf16's 16 are.
        IntVector normal = magnitude.sub(112 << 23).add(0xFFF).add(magnitude.lanewise(VectorOperators.LSHR, 13).and(1))
                .lanewise(VectorOperators.LSHR, 13);
        // A subnormal half counts 2^-24s: |f|·2^24 (exact) is below 1024, and adding 2^23 rounds it to an integer,
        // ties to even, in the low bits of the sum.
        IntVector subnormal = magnitude.reinterpretAsFloats().mul(0x1p24f).add(0x1p23f).reinterpretAsInts()
                .sub(0x4B000000);
        return normal.blend(subnormal, magnitude.compare(VectorOperators.LT, HALF_MIN_NORMAL))
                .blend(0x7C00, magnitude.compare(VectorOperators.GE, HALF_OVERFLOW))
                .blend(Fp16.NAN, magnitude.compare(VectorOperators.GT, FLOAT_INFINITY))
                .or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000));
    }
}
