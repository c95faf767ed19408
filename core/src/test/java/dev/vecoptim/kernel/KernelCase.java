package dev.vecoptim.kernel;

import static org.quicktheories.generators.Generate.constant;
import static org.quicktheories.generators.Generate.frequency;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import java.util.List;
import java.util.SplittableRandom;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

/**
 * A generated kernel test: an update (flags and coefficients), a length, a misalignment, a number of
 * consecutive steps, and the seed of the buffers' contents.
 */
public record KernelCase(Update<?, ?> update, int length, int byteOffset, int steps, long dataSeed) {

    /** Every vector width the kernels have; the tests run them all, whatever the CPU. */
    public static final List<Integer> WIDTHS = Vectorization.WIDTHS;

    static List<Integer> widths() {
        return WIDTHS;
    }

    public static Gen<KernelCase> any() {
        Gen<Update<?, ?>> updates = longRange(Long.MIN_VALUE, Long.MAX_VALUE)
                .map(seed -> Update.random(new SplittableRandom(seed)));
        return updates.zip(lengths(), range(0, 63), range(1, 4), longRange(Long.MIN_VALUE, Long.MAX_VALUE),
                KernelCase::new);
    }

    /**
     * Mostly below a few vectors, where tails and lane counts meet; some up to a few thousand; a few at
     * exact multiples of 16 lanes and one off them.
     */
    public static Gen<Integer> lengths() {
        Gen<Integer> nearMultiples = range(1, 40).zip(range(-1, 1), (k, d) -> Math.max(0, 16 * k + d));
        return frequency(List.of(
                Pair.of(1, constant(0)),
                Pair.of(8, range(1, 70)),
                Pair.of(4, nearMultiples),
                Pair.of(4, range(70, 3000))));
    }

    public Buffers buffers(java.lang.foreign.Arena arena) {
        return Buffers.nativeFilled(arena, length, update.stateBuffers(), byteOffset, dataSeed);
    }
}
