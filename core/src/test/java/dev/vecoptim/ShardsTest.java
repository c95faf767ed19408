package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import org.junit.jupiter.api.Test;

/** The cut of a flat buffer among processes, without MPI: whole, in order, aligned, balanced. */
class ShardsTest {

    @Test
    void shardsCoverTheBufferInAlignedBalancedPieces() {
        qt().withExamples(2000).forAll(longRange(0, 1 << 20), range(1, 64), range(1, 32))
                .checkAssert((elements, processes, alignment) -> {
                    Shards shards = Shards.balanced(elements, processes, alignment);
                    long covered = 0;
                    long fewestUnits = Long.MAX_VALUE;
                    long mostUnits = 0;
                    for (int p = 0; p < processes; p++) {
                        assertEquals(covered, shards.start(p), "shard " + p + " starts where " + (p - 1) + " ends");
                        // An empty shard after the last unit starts at the end of the buffer, wherever that is.
                        assertTrue(shards.start(p) % alignment == 0 || shards.count(p) == 0 && covered == elements,
                                "shard " + p + " starts aligned: " + shards);
                        covered += shards.count(p);
                        // Only the last non-empty shard may end off a unit: the end of the buffer cuts it.
                        assertTrue(shards.count(p) % alignment == 0 || covered == elements, shards.toString());
                        long units = (shards.count(p) + alignment - 1) / alignment;
                        fewestUnits = Math.min(fewestUnits, units);
                        mostUnits = Math.max(mostUnits, units);
                    }
                    assertEquals(elements, covered, shards.toString());
                    assertTrue(mostUnits - fewestUnits <= 1, shards.toString());
                    assertTrue(shards.largest() < (double) elements / processes + alignment, shards.toString());
                });
    }

    @Test
    void handComputedCuts() {
        // 100 floats in units of 16: 7 units, 3 + 2 + 2; the last unit holds the 4 floats beyond 96.
        assertArrayEquals(new int[] {48, 32, 20}, Shards.balanced(100, 3, 16).counts());
        // Fewer units than processes: the last processes get nothing.
        assertArrayEquals(new int[] {16, 1, 0, 0}, Shards.balanced(17, 4, 16).counts());
        assertArrayEquals(new int[] {0, 0}, Shards.balanced(0, 2, 16).counts());
        assertArrayEquals(new int[] {1_000_003}, Shards.balanced(1_000_003, 1, 16).counts());
        assertEquals(48 + 32, Shards.balanced(100, 3, 16).start(2));
    }

    @Test
    void impossibleCutsAreRefused() {
        assertEquals("a sharded buffer holds 0 to 2147483647 elements (MPI counts them in ints), not 2147483648",
                assertThrows(IllegalArgumentException.class, () -> Shards.balanced(1L << 31, 2, 16)).getMessage());
        assertEquals("a sharded buffer holds 0 to 2147483647 elements (MPI counts them in ints), not -1",
                assertThrows(IllegalArgumentException.class, () -> Shards.balanced(-1, 2, 16)).getMessage());
        assertEquals("shards need at least one process and a positive alignment, not 0 and 16",
                assertThrows(IllegalArgumentException.class, () -> Shards.balanced(10, 0, 16)).getMessage());
    }
}
