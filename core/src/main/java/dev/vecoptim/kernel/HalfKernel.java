package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.BITS;
import static dev.vecoptim.kernel.Floats.FLOAT;
import static dev.vecoptim.kernel.Floats.HALF;

import java.lang.foreign.MemorySegment;

/**
 * Conversions between float32 and a 16-bit format of {@code count} elements, from one buffer's index to another's
 * (as {@link MemorySegment#copy(MemorySegment, long, MemorySegment, long, long)} copies): widening, which is exact,
 * and narrowing,
 * which rounds to nearest, ties to even, as PyTorch's {@code c10::BFloat16} and {@code c10::Half} do ({@link Bf16},
 * {@link Fp16}). Every implementation gives the same bits, NaNs included; a test holds them to PyTorch's over every
 * float32 and every 16-bit pattern. The 16-bit buffer holds its elements in the platform's byte order.
 */
public interface HalfKernel {

    KernelFamily<HalfKernel, Flags> FAMILY = KernelFamily.of(HalfKernel.class, HalfKernel.class, Scalar::new);

    /**
     * @param format {@link Format#BFLOAT16} or {@link Format#FLOAT16}
     */
    record Flags(Format format) {
        public Flags {
            if (format != Format.BFLOAT16 && format != Format.FLOAT16) {
                throw new IllegalArgumentException("a 16-bit format is BFLOAT16 or FLOAT16, not " + format);
            }
        }
    }

    /** {@code floats[floatsIndex + k] = halves[halvesIndex + k]} for {@code k < count}, exactly. */
    void widen(MemorySegment halves, long halvesIndex, MemorySegment floats, long floatsIndex, long count);

    /**
     * {@code halves[halvesIndex + k] = floats[floatsIndex + k]} for {@code k < count}, rounded to nearest, ties to
     * even.
     */
    void narrow(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex, long count);

    /**
     * {@code halves[halvesIndex + k] = floats[floatsIndex + k]} for {@code k < count}, rounded to bfloat16
     * stochastically ({@link StochasticRounding}) under {@code key}, element {@code halvesIndex + k} being the
     * element's index in its parameter.
     *
     * @throws UnsupportedOperationException for the float16 format
     */
    void narrowStochastic(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex, long count,
                          int key);

    /**
     * {@code floats[floatsIndex + k]} = the float32 whose upper 16 bits are {@code upper[halvesIndex + k]} and whose
     * lower 16 bits are {@code lower[halvesIndex + k]}, for {@code k < count} ({@link Master#SPLIT}); whatever the
     * format, as it moves bits only.
     */
    void join(MemorySegment upper, MemorySegment lower, long halvesIndex, MemorySegment floats, long floatsIndex,
              long count);

    /** The inverse of {@link #join}: each float's upper 16 bits to {@code upper}, its lower 16 to {@code lower}. */
    void split(MemorySegment floats, long floatsIndex, MemorySegment upper, MemorySegment lower, long halvesIndex,
               long count);

    /** The scalar reference: one element at a time, as {@link Format#load} and {@link Format#store} convert it. */
    record Scalar(Flags flags) implements HalfKernel {
        @Override
        public void widen(MemorySegment halves, long halvesIndex, MemorySegment floats, long floatsIndex, long count) {
            for (long k = 0; k < count; k++) {
                floats.setAtIndex(FLOAT, floatsIndex + k, flags.format().load(halves, halvesIndex + k));
            }
        }

        @Override
        public void narrow(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex,
                           long count) {
            for (long k = 0; k < count; k++) {
                flags.format().store(halves, halvesIndex + k, floats.getAtIndex(FLOAT, floatsIndex + k));
            }
        }

        @Override
        public void narrowStochastic(MemorySegment floats, long floatsIndex, MemorySegment halves, long halvesIndex,
                                     long count, int key) {
            if (flags.format() != Format.BFLOAT16) {
                throw new UnsupportedOperationException("stochastic rounding rounds to bfloat16, not "
                        + flags.format());
            }
            for (long k = 0; k < count; k++) {
                halves.setAtIndex(HALF, halvesIndex + k, StochasticRounding.round(
                        floats.getAtIndex(FLOAT, floatsIndex + k), key, halvesIndex + k));
            }
        }

        @Override
        public void join(MemorySegment upper, MemorySegment lower, long halvesIndex, MemorySegment floats,
                         long floatsIndex, long count) {
            for (long k = 0; k < count; k++) {
                int high = upper.getAtIndex(HALF, halvesIndex + k) << 16;
                floats.setAtIndex(BITS, floatsIndex + k, high | lower.getAtIndex(HALF, halvesIndex + k) & 0xFFFF);
            }
        }

        @Override
        public void split(MemorySegment floats, long floatsIndex, MemorySegment upper, MemorySegment lower,
                          long halvesIndex, long count) {
            for (long k = 0; k < count; k++) {
                int bits = floats.getAtIndex(BITS, floatsIndex + k);
                upper.setAtIndex(HALF, halvesIndex + k, (short) (bits >>> 16));
                lower.setAtIndex(HALF, halvesIndex + k, (short) bits);
            }
        }
    }
}
