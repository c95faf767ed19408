package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Conversions between float32 and a 16-bit format over {@code [from, to)}: widening, which is exact, and narrowing,
 * which rounds to nearest, ties to even, as PyTorch's {@code c10::BFloat16} and {@code c10::Half} do ({@link Bf16},
 * {@link Fp16}). Every implementation gives the same bits, NaNs included; a test holds them to PyTorch's over every
 * float32 and every 16-bit pattern. The 16-bit buffer holds its elements in the platform's byte order.
 */
public interface HalfKernel {

    KernelFamily<HalfKernel, Flags> FAMILY = KernelFamily.of(HalfKernel.class, HalfKernel.class, Scalar::new);

    /**
     * @param format {@link Dtype#BFLOAT16} or {@link Dtype#FLOAT16}
     */
    record Flags(Dtype format) {
        public Flags {
            if (format != Dtype.BFLOAT16 && format != Dtype.FLOAT16) {
                throw new IllegalArgumentException("a 16-bit format is BFLOAT16 or FLOAT16, not " + format);
            }
        }
    }

    /** {@code floats[i] = halves[i]}, exactly. */
    void widen(MemorySegment halves, MemorySegment floats, long from, long to);

    /** {@code halves[i] = floats[i]} rounded to nearest, ties to even. */
    void narrow(MemorySegment floats, MemorySegment halves, long from, long to);

    /** The scalar reference: one element at a time, as {@link Dtype#load} and {@link Dtype#store} convert it. */
    record Scalar(Flags flags) implements HalfKernel {
        @Override
        public void widen(MemorySegment halves, MemorySegment floats, long from, long to) {
            for (long i = from; i < to; i++) {
                floats.setAtIndex(FLOAT, i, flags.format().load(halves, i));
            }
        }

        @Override
        public void narrow(MemorySegment floats, MemorySegment halves, long from, long to) {
            for (long i = from; i < to; i++) {
                flags.format().store(halves, i, floats.getAtIndex(FLOAT, i));
            }
        }
    }
}
