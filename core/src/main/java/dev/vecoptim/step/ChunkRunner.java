package dev.vecoptim.step;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

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
public final class ChunkRunner<P> {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");

    public interface Action<P> {
        void run(Chunk<P> chunk);
    }

    /** Spins before parking while helpers finish: most of a step's chunks end together. */
    private static final int SPINS = 1 << 12;

    private final Executor executor;
    private final int helpers;
    private final long threshold;
    private final AtomicBoolean executorFailureLogged = new AtomicBoolean();
    /** One per helper, submitted again at each run: a run allocates no synchronisation of its own. */
    private final List<HelperTask> helperTasks;

    // The run being made: written before claims opens it, read by the threads that claim its batches.
    private List<Chunk<P>> runChunks;
    private Action<P> runAction;
    private int runBatch;
    private int runBatches;
    private int generation;
    private volatile Thread waiter;
    /** The run's generation (high 32 bits) and the next batch to claim (low 32 bits). */
    private final AtomicLong claims = new AtomicLong((long) Integer.MAX_VALUE);
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    public ChunkRunner(Executor executor, int helpers, long threshold) {
        this.executor = executor;
        this.helpers = helpers;
        this.threshold = threshold;
        this.helperTasks = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            helperTasks.add(new HelperTask());
        }
    }

    /**
     * A helper's share of runs, reused: a fork-join task when the executor is a fork-join pool, which then takes it
     * as it is (any other Runnable it wraps in a new task each time), a Runnable for any other executor.
     */
    private final class HelperTask extends RecursiveAction implements Runnable {
        private static final long serialVersionUID = 1L;
        /** Submitted to an executor that is not a fork-join pool and not yet finished. */
        private final AtomicBoolean busy = new AtomicBoolean();
        /** Submitted to the fork-join pool once: from then on, submitted again only once done. */
        private boolean forked;

        /** Hands this helper to the executor; false if it could not (still busy, or refused). */
        boolean submit() {
            try {
                if (executor instanceof ForkJoinPool pool) {
                    if (forked && !isDone()) {
                        return false;
                    }
                    if (forked) {
                        reinitialize();
                    }
                    forked = true;
                    pool.execute((ForkJoinTask<?>) this);
                } else {
                    if (!busy.compareAndSet(false, true)) {
                        return false;
                    }
                    executor.execute((Runnable) this);
                }
                return true;
            } catch (RejectedExecutionException refused) {
                notSubmitted();
                return false;
            } catch (RuntimeException | Error broken) {
                notSubmitted();
                if (!executorFailureLogged.getAndSet(true)) {
                    LOG.log(System.Logger.Level.WARNING, "the optimizer's executor threw instead of taking work;"
                            + " the calling thread does the work no helper took (logged once)", broken);
                }
                return false;
            }
        }

        private void notSubmitted() {
            busy.set(false);
            forked = false;
        }

        @Override
        protected void compute() {
            drain();
        }

        @Override
        public void run() {
            try {
                drain();
            } finally {
                busy.set(false);
            }
        }
    }

    /**
     * A parameter cut into the chunks a step runs: an eighth of the threshold, in whole 64-float blocks. Eight
     * chunks to a threshold's worth let a helper that wakes late still take half the work: with chunks as long
     * as the threshold, Adam over 1M floats ran 1.66x faster on two threads than on one; with an eighth, 1.84x.
     */
    public List<Chunk<P>> stepChunks(P parameter, long elements, boolean confined) {
        return cut(parameter, elements, confined, chunkLength(), 0);
    }

    /**
     * {@code parameter}, of {@code elements} floats, cut into pieces of {@code length} floats, numbered from
     * {@code firstIndex}; {@code confined} if its memory is confined to a thread, which must then run them.
     */
    public static <P> List<Chunk<P>> cut(P parameter, long elements, boolean confined, long length, int firstIndex) {
        List<Chunk<P>> chunks = new ArrayList<>();
        for (long from = 0; from < elements; from += length) {
            chunks.add(new Chunk<>(parameter, from, Math.min(elements, from + length), firstIndex + chunks.size(),
                    confined));
        }
        return chunks;
    }

    public void run(List<Chunk<P>> chunks, long totalElements, Action<P> action) {
        if (helpers == 0 || chunks.size() < 2 || totalElements < threshold) {
            for (int c = 0; c < chunks.size(); c++) {
                action.run(chunks.get(c));
            }
            return;
        }
        int shared = 0;
        for (int c = 0; c < chunks.size(); c++) {
            shared += chunks.get(c).confined() ? 0 : 1;
        }
        // Threads take chunks a batch at a time: one atomic claim per chunk of 256 floats made 65536 of them
        // slower on two threads than on one.
        runBatch = batchSize(chunks.size(), totalElements);
        runBatches = (chunks.size() + runBatch - 1) / runBatch;
        runChunks = chunks;
        runAction = action;
        failure.set(null);
        remaining.set(runBatches);
        waiter = Thread.currentThread();
        generation++;
        claims.set((long) generation << 32);
        int wanted = Math.min(helpers, Math.min(shared, runBatches) - 1);
        for (int h = 0; h < wanted; h++) {
            if (!helperTasks.get(h).submit()) {
                break;
            }
        }
        for (int c = 0; c < chunks.size(); c++) {
            if (chunks.get(c).confined()) {
                runCapturing(action, chunks.get(c));
            }
        }
        drain();
        awaitBatches();
        // Closed: a helper that starts late finds nothing to claim, whatever run comes next.
        claims.set((long) generation << 32 | Integer.MAX_VALUE);
        runChunks = null;
        runAction = null;
        Throwable thrown = failure.get();
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
    }

    /**
     * Claims and runs batches of the run being made until none is left. A claim is a compare-and-set of the run's
     * generation and the next batch, so a helper that wakes after its run closed claims nothing; and a run closes
     * only once every batch it had is done, so the batch a claim names is of the run whose fields are set.
     */
    private void drain() {
        while (true) {
            long claim = claims.get();
            int batch = (int) claim;
            if (batch >= runBatches) {
                return;
            }
            if (!claims.compareAndSet(claim, claim + 1)) {
                continue;
            }
            List<Chunk<P>> chunks = runChunks;
            Action<P> action = runAction;
            for (int i = batch * runBatch, end = Math.min(chunks.size(), i + runBatch); i < end; i++) {
                Chunk<P> chunk = chunks.get(i);
                if (!chunk.confined()) {
                    runCapturing(action, chunk);
                }
            }
            if (remaining.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }
    }

    /** Waits for the batches that helpers took; an interrupt is kept for the caller, not lost. */
    private void awaitBatches() {
        boolean interrupted = false;
        for (int spin = 0; remaining.get() != 0; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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

    private void runCapturing(Action<P> action, Chunk<P> chunk) {
        try {
            if (failure.get() == null) {
                action.run(chunk);
            }
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

}
