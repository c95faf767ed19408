package dev.vecoptim;

import dev.vecoptim.mpi.Communicator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the processes of a sharded step agree on before they start it, and after they reduce the gradients: small
 * facts of each process (whether its checks passed, what its optimizer looks like, whether its shard's gradients
 * are finite), which one all-reduce of a few floats per process shows to every process. A process whose checks
 * failed thus makes every process throw the same exception, before any of them enters a collective that the
 * failed one would never join.
 */
final class Agreement {
    /** A fact per process: small integers, which floats hold exactly, and which add up to themselves beside zeros. */
    private static final int FACTS = 5;
    /** The bytes of a failure's message sent to the other processes, its terminating zero included. */
    private static final int MESSAGE_BYTES = 4096;
    /** The exceptions a failed check may throw, sent as their index here; any other is sent as the last. */
    private static final List<Class<? extends Exception>> KINDS = List.of(IllegalArgumentException.class,
            IllegalStateException.class, ArithmeticException.class, WrongThreadException.class,
            CheckpointException.class, IOException.class, RuntimeException.class);

    private final Communicator world;
    private final MemorySegment facts;
    private final MemorySegment message;

    Agreement(Communicator world, Arena arena) {
        this.world = world;
        facts = arena.allocate((long) world.size() * FACTS * Float.BYTES, 64);
        message = arena.allocate(MESSAGE_BYTES);
    }

    /**
     * Shares this process's readiness for a step: {@code failure}, the exception its checks threw (or null), and the
     * {@code fingerprint} of its optimizer (groups, sizes, step count). Returns when every process is ready and their
     * fingerprints agree; else throws, on every process, the failure of the first process that failed (same class,
     * its message prefixed with its process), or an {@link IllegalStateException} naming the processes whose
     * optimizer differs from process 0's.
     */
    void ready(RuntimeException failure, long fingerprint) {
        float[] mine = {failure == null ? 0 : 1, failure == null ? 0 : kind(failure), fingerprint & 0xFFFF,
            (fingerprint >>> 16) & 0xFFFF, (fingerprint >>> 32) & 0xFFFF};
        float[][] everyone = share(mine);
        for (int p = 0; p < everyone.length; p++) {
            if (everyone[p][0] != 0) {
                // A check's failure is unchecked, and so is its kind.
                throw (RuntimeException) failureOf(p, (int) everyone[p][1], failure);
            }
        }
        List<Integer> differing = new ArrayList<>();
        for (int p = 1; p < everyone.length; p++) {
            for (int fact = 2; fact < FACTS; fact++) {
                if (everyone[p][fact] != everyone[0][fact]) {
                    differing.add(p);
                    break;
                }
            }
        }
        if (!differing.isEmpty()) {
            throw new IllegalStateException("the processes' sharded optimizers differ (in their groups, the groups'"
                    + " optimizers or sizes, or their step counts): process" + (differing.size() > 1 ? "es " : " ")
                    + differing + " from process 0; every process must build the same one and step it as often;"
                    + " nothing was changed");
        }
    }

    /**
     * Shares the outcome of this process's part in reading or writing a file: returns when no process failed, else
     * throws on every process the failure of the first that failed, as {@link #ready} does (a {@link
     * CheckpointException} or other {@link IOException} as one of the same class).
     */
    void done(Exception failure) throws IOException {
        float[][] everyone = share(new float[] {failure == null ? 0 : 1, failure == null ? 0 : kind(failure)});
        for (int p = 0; p < everyone.length; p++) {
            if (everyone[p][0] != 0) {
                Exception thrown = failureOf(p, (int) everyone[p][1], failure);
                if (thrown instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) thrown;
            }
        }
    }

    /**
     * Shares one small non-negative integer (at most 2<sup>24</sup>) of this process's: {@return every process's, in
     * order of rank}
     */
    int[] share(int value) {
        float[][] everyone = share(new float[] {value});
        int[] values = new int[everyone.length];
        for (int p = 0; p < values.length; p++) {
            values[p] = (int) everyone[p][0];
        }
        return values;
    }

    /**
     * Compares a 64-bit value of every process's (a double's bits) with process 0's, in 16-bit pieces through one
     * all-reduce. {@return the processes whose value differs from process 0's, in order of rank}
     */
    List<Integer> differing(long value) {
        float[] mine = new float[4];
        for (int piece = 0; piece < mine.length; piece++) {
            mine[piece] = (value >>> (16 * piece)) & 0xFFFF;
        }
        float[][] everyone = share(mine);
        List<Integer> differing = new ArrayList<>();
        for (int p = 1; p < everyone.length; p++) {
            if (!java.util.Arrays.equals(everyone[p], everyone[0])) {
                differing.add(p);
            }
        }
        return differing;
    }

    /** Every process's {@code mine}, in order of rank, through one all-reduce in which the others' rows are 0. */
    private float[][] share(float[] mine) {
        facts.fill((byte) 0);
        MemorySegment.copy(mine, 0, facts, ValueLayout.JAVA_FLOAT, (long) world.rank() * FACTS * Float.BYTES,
                mine.length);
        world.allReduceSum(facts);
        float[][] everyone = new float[world.size()][mine.length];
        for (int p = 0; p < everyone.length; p++) {
            MemorySegment.copy(facts, ValueLayout.JAVA_FLOAT, (long) p * FACTS * Float.BYTES, everyone[p], 0,
                    mine.length);
        }
        return everyone;
    }

    private static int kind(Exception failure) {
        for (int k = 0; k < KINDS.size() - 1; k++) {
            if (KINDS.get(k).isInstance(failure)) {
                return k;
            }
        }
        return KINDS.size() - 1;
    }

    /** The failure of process {@code failed}, as every process throws it: its message is broadcast from it. */
    private Exception failureOf(int failed, int kind, Exception own) {
        message.fill((byte) 0);
        if (world.rank() == failed) {
            String text = own.getMessage() == null ? own.getClass().getName() : own.getMessage();
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            // Cut before its terminating zero, at the start of a character: never inside one's UTF-8 bytes.
            int length = Math.min(bytes.length, MESSAGE_BYTES - 1);
            while (length < bytes.length && (bytes[length] & 0xC0) == 0x80) {
                length--;
            }
            MemorySegment.copy(bytes, 0, message, ValueLayout.JAVA_BYTE, 0, length);
        }
        world.broadcast(message, failed);
        String text = "process " + failed + " of " + world.size() + ": " + message.getString(0, StandardCharsets.UTF_8);
        Exception thrown = switch (kind) {
            case 0 -> new IllegalArgumentException(text);
            case 1 -> new IllegalStateException(text);
            case 2 -> new ArithmeticException(text);
            case 3 -> new WrongThreadException(text);
            case 4 -> new CheckpointException(text);
            case 5 -> new IOException(text);
            default -> new IllegalStateException(text);
        };
        if (world.rank() == failed) {
            thrown.initCause(own);
        }
        return thrown;
    }
}
