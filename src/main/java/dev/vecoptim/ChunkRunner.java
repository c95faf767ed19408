package dev.vecoptim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs chunks of work on the calling thread and on up to {@code helpers} threads of an executor. Chunks of a
 * parameter whose memory is confined to the calling thread run on it; the others go to whichever thread is
 * free, the calling thread included, so nothing waits on a helper that never starts. Small work stays on
 * the calling thread.
 *
 * <p>{@link #run} returns, or throws, only once every chunk it was given has run or been skipped: no helper is
 * left writing behind it. An executor that refuses work, by {@code RejectedExecutionException} or by any other
 * exception, only costs speed: the calling thread does the chunks no helper took.
 */
final class ChunkRunner {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");

    interface Action {
        void run(Chunk chunk);
    }

    private final Executor executor;
    private final int helpers;
    private final long threshold;
    private final AtomicBoolean executorFailureLogged = new AtomicBoolean();

    ChunkRunner(Executor executor, int helpers, long threshold) {
        this.executor = executor;
        this.helpers = helpers;
        this.threshold = threshold;
    }

    /**
     * A parameter cut into the chunks a step runs: an eighth of the threshold, in whole 64-float blocks. Eight
     * chunks to a threshold's worth let a helper that wakes late still take half the work: with chunks as long
     * as the threshold, Adam over 1M floats ran 1.66x faster on two threads than on one; with an eighth, 1.84x.
     */
    List<Chunk> stepChunks(Parameter parameter) {
        return cut(parameter, chunkLength(), 0);
    }

    /** {@code parameter} cut into pieces of {@code length} floats, numbered from {@code firstIndex}. */
    static List<Chunk> cut(Parameter parameter, long length, int firstIndex) {
        boolean confined = confined(parameter);
        List<Chunk> chunks = new ArrayList<>();
        for (long from = 0; from < parameter.elementCount(); from += length) {
            chunks.add(new Chunk(parameter, from, Math.min(parameter.elementCount(), from + length),
                    firstIndex + chunks.size(), confined));
        }
        return chunks;
    }

    /** {@code parameter} whole, as one chunk numbered {@code index}. */
    static Chunk whole(Parameter parameter, int index) {
        return new Chunk(parameter, 0, parameter.elementCount(), index, confined(parameter));
    }

    /** Whether a chunk of {@code parameter} must run on the thread its memory is confined to. */
    private static boolean confined(Parameter parameter) {
        return OwnerThreadMemory.confined(parameter.value()) || OwnerThreadMemory.confined(parameter.grad());
    }

    void run(List<Chunk> chunks, long totalElements, Action action) {
        if (helpers == 0 || chunks.size() < 2 || totalElements < threshold) {
            for (Chunk chunk : chunks) {
                action.run(chunk);
            }
            return;
        }
        // No list per run: a step of many parameters would allocate one as long as its chunks.
        int shared = 0;
        for (int c = 0; c < chunks.size(); c++) {
            shared += chunks.get(c).confined() ? 0 : 1;
        }
        // Threads take chunks a batch at a time: one atomic claim per chunk of 256 floats made 65536 of them
        // slower on two threads than on one.
        int batch = batchSize(chunks.size(), totalElements);
        int batches = (chunks.size() + batch - 1) / batch;
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(batches);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            for (int b = next.getAndIncrement(); b < batches; b = next.getAndIncrement()) {
                for (int i = b * batch, end = Math.min(chunks.size(), i + batch); i < end; i++) {
                    Chunk chunk = chunks.get(i);
                    if (!chunk.confined()) {
                        runCapturing(action, chunk, failure);
                    }
                }
                done.countDown();
            }
        };
        for (int h = 0; h < Math.min(helpers, Math.min(shared, batches) - 1); h++) {
            try {
                executor.execute(drain);
            } catch (RejectedExecutionException busy) {
                break;
            } catch (RuntimeException | Error broken) {
                if (!executorFailureLogged.getAndSet(true)) {
                    LOG.log(System.Logger.Level.WARNING, "the optimizer's executor threw instead of taking work;"
                            + " the calling thread does the work no helper took (logged once)", broken);
                }
                break;
            }
        }
        for (int c = 0; c < chunks.size(); c++) {
            if (chunks.get(c).confined()) {
                runCapturing(action, chunks.get(c), failure);
            }
        }
        drain.run();
        awaitUninterruptibly(done);
        Throwable thrown = failure.get();
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
    }

    /**
     * How many chunks a thread takes at once: enough that a batch holds about a chunk's length of floats, few
     * enough that there are eight batches per thread to share.
     */
    private int batchSize(int chunks, long totalElements) {
        long averageChunk = Math.max(1, totalElements / chunks);
        long forLength = Math.max(1, chunkLength() / averageChunk);
        long forSharing = Math.max(1, chunks / (8L * (helpers + 1)));
        return (int) Math.min(forLength, forSharing);
    }

    private long chunkLength() {
        return Math.max(64, threshold / 8 / 64 * 64);
    }

    private static void runCapturing(Action action, Chunk chunk, AtomicReference<Throwable> failure) {
        try {
            if (failure.get() == null) {
                action.run(chunk);
            }
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

    /** Waits for the chunks that helpers took; an interrupt is kept for the caller, not lost. */
    private static void awaitUninterruptibly(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
