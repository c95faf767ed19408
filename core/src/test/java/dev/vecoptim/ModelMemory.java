package dev.vecoptim;

import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Values and gradients for every parameter of a structure, filled from a seed, in a shared arena. */
record ModelMemory(List<MemorySegment> values, List<MemorySegment> grads) {
    /**
     * With special values (NaN, infinities, subnormals...) one time in 50; none in the gradients when the
     * structure skips non-finite steps, or it would skip them all.
     */
    static ModelMemory of(Arena arena, OptimizerModel.Structure structure, long seed) {
        return of(arena, structure, seed, 50);
    }

    static ModelMemory of(Arena arena, OptimizerModel.Structure structure, long seed, int specialOdds) {
        SplittableRandom random = new SplittableRandom(seed);
        List<MemorySegment> values = new ArrayList<>();
        List<MemorySegment> grads = new ArrayList<>();
        for (List<Integer> group : structure.sizes()) {
            for (int size : group) {
                MemorySegment value = arena.allocate(4L * size, 64);
                MemorySegment grad = arena.allocate(4L * size, 64);
                TestFloats.fill(value, random, specialOdds);
                TestFloats.fill(grad, random,
                        structure.policy() == NonFiniteGradients.SKIP ? Integer.MAX_VALUE : specialOdds);
                values.add(value);
                grads.add(grad);
            }
        }
        return new ModelMemory(values, grads);
    }

    byte[][] snapshot(Optimizer optimizer) {
        List<byte[]> bytes = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            for (Parameter parameter : group.parameters()) {
                bytes.add(parameter.value().toArray(ValueLayout.JAVA_BYTE));
                bytes.add(parameter.grad().toArray(ValueLayout.JAVA_BYTE));
                for (String name : parameter.stateNames()) {
                    bytes.add(parameter.state(name).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        return bytes.toArray(byte[][]::new);
    }

    /**
     * Every value, gradient, state buffer, scalar and step count of {@code optimizer}, any NaN as any other: Java
     * fixes no NaN payload, and code compiled at another moment may order a NaN's operands otherwise. For
     * comparing optimizers that made the same steps in other chunks, threads or calls.
     */
    static int[][] stateBits(Optimizer optimizer) {
        List<int[]> bits = new ArrayList<>();
        for (ParameterGroup group : optimizer.groups()) {
            for (Parameter parameter : group.parameters()) {
                bits.add(TestFloats.canonicalBits(parameter.value()));
                bits.add(TestFloats.canonicalBits(parameter.grad()));
                for (String name : parameter.stateNames()) {
                    bits.add(TestFloats.canonicalBits(parameter.state(name)));
                }
                for (String name : parameter.scalarNames()) {
                    bits.add(TestFloats.canonicalBits(parameter.state(name)));
                }
                bits.add(new int[] {Long.hashCode(parameter.stepCount())});
            }
        }
        return bits.toArray(int[][]::new);
    }
}
