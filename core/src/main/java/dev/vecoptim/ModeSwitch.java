package dev.vecoptim;

import dev.vecoptim.kernel.AverageKernel;
import dev.vecoptim.kernel.HalfKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import dev.vecoptim.kernel.ScratchMemory;
import java.lang.foreign.MemorySegment;

/**
 * Moves a parameter between its train and eval values ({@link Algorithm#hasModes()}): {@code p = lerp(p, z, W)}, z
 * its first state buffer, ATen's lerp with the float weight W as the algorithm's {@link Semantics} rounds it. A 16-bit
 * parameter is lerped in float and rounded once to its dtype, as PyTorch's {@code lerp_} on bfloat16 does; one with a
 * master has its master lerped and is set from it as a step sets it.
 */
final class ModeSwitch {
    /** Elements widened at a time: two float blocks of scratch a thread. */
    private static final int BLOCK = 4096;
    private static final ScratchMemory SCRATCH = new ScratchMemory(2L * BLOCK * Float.BYTES);

    private ModeSwitch() {
    }

    /**
     * Moves {@code param}, {@code elements} elements of {@code dtype} whose first state buffer is {@code z} (of the
     * state's dtype) and master's buffer {@code master} (null without one), to its train value if {@code training},
     * else to its eval value.
     */
    static void apply(Algorithm algorithm, Dtype dtype, long elements, MemorySegment param, MemorySegment z,
                      MemorySegment master, boolean training) {
        float weight = (float) algorithm.modeWeight(training);
        boolean pyTorch113 = algorithm.semantics() == Semantics.PYTORCH_1_13;
        AverageKernel lerp = Kernels.kernel(AverageKernel.FAMILY, algorithm.vectorBits(), new NoFlags());
        Dtype stateDtype = algorithm.stateDtype(dtype);
        MasterWeights masterWeights = algorithm.master(dtype);
        if (dtype == Dtype.FLOAT32 && stateDtype == Dtype.FLOAT32) {
            lerp.ema(param, z, weight, pyTorch113, 0, elements);
            return;
        }
        MemorySegment scratch = SCRATCH.beside(param);
        for (long start = 0; start < elements; start += BLOCK) {
            int count = (int) Math.min(BLOCK, elements - start);
            MemorySegment block = scratch.asSlice(0, (long) count * Float.BYTES);
            MemorySegment end = scratch.asSlice((long) BLOCK * Float.BYTES, (long) count * Float.BYTES);
            MemorySegment blockParam = slice(param, dtype, start, count);
            MemorySegment blockMaster = master == null ? null : slice(master, masterWeights.bufferDtype(), start, count);
            if (masterWeights == MasterWeights.NONE) {
                widen(dtype, blockParam, block, algorithm.vectorBits());
            } else {
                masterWeights.copy(dtype, blockParam, blockMaster, true, block, algorithm.vectorBits());
            }
            widen(stateDtype, slice(z, stateDtype, start, count), end, algorithm.vectorBits());
            lerp.ema(block, end, weight, pyTorch113, 0, count);
            store(dtype, masterWeights, block, blockParam, blockMaster, algorithm.vectorBits());
        }
    }

    private static MemorySegment slice(MemorySegment buffer, Dtype dtype, long start, int count) {
        return buffer.asSlice(start * dtype.bytes(), (long) count * dtype.bytes());
    }

    private static void widen(Dtype dtype, MemorySegment from, MemorySegment floats, int bits) {
        if (dtype == Dtype.FLOAT32) {
            floats.copyFrom(from);
        } else {
            conversions(dtype, bits).widen(from, 0, floats, 0, floats.byteSize() / Float.BYTES);
        }
    }

    /** Stores the lerped floats: the parameter rounded to nearest, and a master as a step leaves it. */
    private static void store(Dtype dtype, MasterWeights master, MemorySegment floats, MemorySegment param,
                              MemorySegment masterBuffer, int bits) {
        long count = floats.byteSize() / Float.BYTES;
        switch (master) {
            case NONE -> {
                if (dtype == Dtype.FLOAT32) {
                    param.copyFrom(floats);
                } else {
                    conversions(dtype, bits).narrow(floats, 0, param, 0, count);
                }
            }
            case FLOAT32 -> {
                masterBuffer.copyFrom(floats);
                conversions(dtype, bits).narrow(floats, 0, param, 0, count);
            }
            case SPLIT -> conversions(dtype, bits).split(floats, 0, param, masterBuffer, 0, count);
        }
    }

    private static HalfKernel conversions(Dtype dtype, int bits) {
        return Kernels.kernel(HalfKernel.FAMILY, bits, new HalfKernel.Flags(dtype.format()));
    }
}
