package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Every refused step is refused before its first write: each case checks the exception, that its message
 * names the offending buffer, and that every buffer still holds its bytes.
 */
class BadInputTest {
    private static final int N = 37;
    /** A thread that owns a confined arena; made anew for each run of this class, so that it can run twice. */
    private static ExecutorService owner;
    private static Arena foreign;

    /**
     * An optimizer with every state buffer in use, a way to step it, and the names of its buffers in order: param,
     * grad, the state buffers (N floats each), then the scalars (one float or one double each,
     * {@code scalarBytes}) from {@code firstScalar} on.
     */
    private record Family(String name, List<String> buffers, int firstScalar, List<Integer> scalarBytes, Step step) {
        /** The size of an element of buffer {@code buffer}: a float, or a scalar's. */
        int unit(int buffer) {
            return buffer < firstScalar ? Float.BYTES : scalarBytes.get(buffer - firstScalar);
        }

        long bytes(int buffer) {
            return buffer < firstScalar ? 4L * N : unit(buffer);
        }
    }

    private interface Step {
        void apply(MemorySegment[] buffers, long step);
    }

    /** Each optimizer's every-buffer configuration, stepped by its own typed method and by the generic one. */
    private static final List<Family> FAMILIES = families();

    private static List<Family> families() {
        List<Family> families = new ArrayList<>();
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            Algorithm algorithm = kind.everyBuffer();
            List<String> buffers = new ArrayList<>(List.of("param", "grad"));
            buffers.addAll(algorithm.stateNames());
            int firstScalar = buffers.size();
            buffers.addAll(algorithm.scalarNames());
            families.add(new Family(algorithm + ", typed", buffers, firstScalar, algorithm.scalarBytes(),
                    (b, t) -> kind.typedStep().step(algorithm, b, t)));
            families.add(new Family(algorithm + ", generic", buffers, firstScalar, algorithm.scalarBytes(),
                    (b, t) -> algorithm.step(t, b[0], b[1], Arrays.copyOfRange(b, 2, b.length))));
        }
        return families;
    }

    @TestFactory
    Stream<DynamicTest> everyBadBufferIsRefusedBeforeAnyWrite() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Family family : FAMILIES) {
            for (int bad = 0; bad < family.buffers().size(); bad++) {
                int b = bad;
                String name = family.buffers().get(b);
                String at = family.name() + ", " + name + " ";
                long bytes = family.bytes(b);
                tests.add(dynamicTest(at + "one element short", () -> refused(family, IllegalArgumentException.class,
                        name, arena -> buffers -> replace(buffers, b, buffers[b].asSlice(0, bytes - family.unit(b))))));
                if (b >= family.firstScalar()) {
                    tests.add(dynamicTest(at + "as long as param", () -> refused(family,
                            IllegalArgumentException.class, name, arena -> buffers -> replace(buffers, b,
                                    bytes(arena, 4L * N)))));
                }
                tests.add(dynamicTest(at + "not whole elements", () -> refused(family, IllegalArgumentException.class,
                        name, arena -> buffers -> replace(buffers, b, bytes(arena, bytes).asSlice(0, bytes - 2)))));
                tests.add(dynamicTest(at + "arena closed", () -> refused(family, IllegalStateException.class,
                        name, arena -> buffers -> replace(buffers, b, closedSegment(bytes)))));
                tests.add(dynamicTest(at + "confined to another thread", () -> refused(family,
                        WrongThreadException.class, name, arena -> buffers -> replace(buffers, b,
                                foreignSegment(bytes)))));
                tests.add(dynamicTest(at + "null", () -> refused(family, NullPointerException.class, name,
                        arena -> buffers -> replace(buffers, b, null))));
                for (int other = 0; other < family.buffers().size(); other++) {
                    int o = other;
                    if (o != b) {
                        tests.add(dynamicTest(at + "overlaps " + family.buffers().get(o), () -> refused(family,
                                IllegalArgumentException.class, name,
                                arena -> buffers -> overlapping(arena, buffers, family.bytes(b), b, family.bytes(o), o))));
                    }
                }
                if (b != 1) {
                    tests.add(dynamicTest(at + "read-only", () -> refused(family, IllegalArgumentException.class,
                            name, arena -> buffers -> replace(buffers, b, buffers[b].asReadOnly()))));
                }
            }
            tests.add(dynamicTest(family.name() + ", step 0", () -> refusedStep(family, 0)));
            tests.add(dynamicTest(family.name() + ", step -1", () -> refusedStep(family, -1)));
        }
        return tests.stream();
    }

    @Test
    void aSizeMismatchIsReportedInFloatsAndBytes() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> Sgd.builder(0.1).build().step(bytes(arena, 4L * N), bytes(arena, 4L * (N - 1)), null, 1));
            assertEquals("grad has 36 floats (144 bytes) but param has 37 floats (148 bytes); every buffer of a "
                    + "parameter must have param's size", refused.getMessage());
        }
    }

    @Test
    void aReadOnlyGradientIsAccepted() {
        for (Family family : FAMILIES) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment[] buffers = filled(arena, family);
                byte[] param = buffers[0].toArray(ValueLayout.JAVA_BYTE);
                buffers[1] = buffers[1].asReadOnly();
                family.step().apply(buffers, 1);
                assertNotEquals(Arrays.toString(param), Arrays.toString(buffers[0].toArray(ValueLayout.JAVA_BYTE)),
                        family.name() + " did not step");
            }
        }
    }

    private static void refusedStep(Family family, long step) {
        refused(family, IllegalArgumentException.class, "step", arena -> buffers -> buffers, step);
    }

    private static void refused(Family family, Class<? extends RuntimeException> expected, String named,
                                java.util.function.Function<Arena, UnaryOperator<MemorySegment[]>> spoil) {
        refused(family, expected, named, spoil, 2);
    }

    /**
     * Fills valid buffers, spoils them, checks that the step throws {@code expected} naming {@code named},
     * and that every buffer that can still be read holds the same bytes as before.
     */
    private static void refused(Family family, Class<? extends RuntimeException> expected, String named,
                                java.util.function.Function<Arena, UnaryOperator<MemorySegment[]>> spoil, long step) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] buffers = spoil.apply(arena).apply(filled(arena, family));
            byte[][] before = snapshot(buffers);
            Executable call = () -> family.step().apply(buffers, step);
            RuntimeException thrown = assertThrows(expected, call);
            assertTrue(thrown.getMessage().contains(named), () -> "'" + thrown.getMessage() + "' names no " + named);
            assertArrayEquals(before, snapshot(buffers), "a refused step wrote");
        }
    }

    private static MemorySegment[] filled(Arena arena, Family family) {
        MemorySegment[] buffers = new MemorySegment[family.buffers().size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = bytes(arena, family.bytes(i));
            for (int j = 0; j < family.bytes(i) / Float.BYTES; j++) {
                buffers[i].setAtIndex(ValueLayout.JAVA_FLOAT, j, 0.25f * (i + 1) + j);
            }
        }
        return buffers;
    }

    private static MemorySegment bytes(Arena arena, long bytes) {
        return arena.allocate(bytes, 64);
    }

    private static MemorySegment[] replace(MemorySegment[] buffers, int index, MemorySegment replacement) {
        buffers[index] = replacement;
        return buffers;
    }

    /** Buffers {@code a} and {@code b}, of their sizes, become two views of one allocation sharing one float. */
    private static MemorySegment[] overlapping(Arena arena, MemorySegment[] buffers, long aBytes, int a, long bBytes,
                                               int b) {
        MemorySegment shared = bytes(arena, aBytes + bBytes - Float.BYTES);
        buffers[a] = shared.asSlice(0, aBytes);
        buffers[b] = shared.asSlice(aBytes - Float.BYTES, bBytes);
        return buffers;
    }

    private static MemorySegment closedSegment(long bytes) {
        Arena closed = Arena.ofConfined();
        MemorySegment segment = bytes(closed, bytes);
        closed.close();
        return segment;
    }

    /** A segment of a confined arena that another thread owns. */
    private static MemorySegment foreignSegment(long bytes) {
        return onOwner(() -> bytes(foreign, bytes));
    }

    @BeforeAll
    static void startTheOwnerOfAConfinedArena() {
        owner = Executors.newSingleThreadExecutor();
        foreign = onOwner(Arena::ofConfined);
    }

    @AfterAll
    static void closeTheForeignArena() {
        onOwner(() -> {
            foreign.close();
            return null;
        });
        owner.shutdown();
    }

    private static <T> T onOwner(Callable<T> task) {
        try {
            return owner.submit(task).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[][] snapshot(MemorySegment[] buffers) {
        byte[][] bytes = new byte[buffers.length][];
        for (int i = 0; i < buffers.length; i++) {
            MemorySegment b = buffers[i];
            boolean readable = b != null && b.scope().isAlive() && b.isAccessibleBy(Thread.currentThread());
            bytes[i] = readable ? b.toArray(ValueLayout.JAVA_BYTE) : null;
        }
        return bytes;
    }
}
