package dev.delugefs.swarm;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one writer's {@link PieceHasher} off the write path. A write only notes its range, under a lock
 * held for microseconds; a task on the store's executor reads the in-order bytes back and hashes them,
 * outside that lock (SHA-1 costs about three times a page-cache write, and a FUSE writer waits for each
 * reply before sending the next write). There is at most one task per writer, and it gives its thread
 * to other writers' tasks every {@link #SLICE} bytes, so a long copy does not starve a short one.
 *
 * <p>Seal, truncate and close first stop the task and wait for its chunk in flight (at most
 * {@link PieceHasher#MAX_CHUNK} bytes); the caller holds off writes meanwhile.
 */
final class BackgroundHasher {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundHasher.class);

    /** Bytes a task hashes before it lets other writers' tasks have its thread. */
    static final long SLICE = 8L << 20;

    /**
     * In-order bytes that must be waiting before a task is started. Below it, waking a thread costs about
     * as much as the seal hashing them itself, and most files are that small.
     */
    static final long MIN_BACKLOG = 256 * 1024;

    private final PieceHasher hasher;
    private final Executor executor;
    private final LongSupplier size;
    private final Runnable task = this::hashSlice;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private boolean scheduled;
    /** While a seal or truncate owns the hasher, and for good once cancelled. */
    private boolean stopped;
    private boolean cancelled;
    /** An I/O error ended background hashing; the seal hashes the rest, and reports the error if it recurs. */
    private boolean failed;
    private long caughtUpAtSeal;

    /** {@code size} bounds what the task reads: a write that failed half way notes more than the file holds. */
    BackgroundHasher(PieceHasher hasher, Executor executor, LongSupplier size) {
        this.hasher = hasher;
        this.executor = executor;
        this.size = size;
    }

    /** Notes a write once its bytes are on disk (or it failed half way), and starts hashing if it can. */
    void written(long offset, long end) {
        lock.lock();
        try {
            hasher.mayHaveChanged(offset, end);
            schedule();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code change} (a truncate on disk, and the writer's new size) with the task stopped, then
     * notes the new size. If the change fails, nothing is noted: the file keeps the bytes the hasher knows of.
     */
    void truncate(long newSize, IoAction change) throws IOException {
        stopAndWait();
        try {
            change.run();
            lock.lock();
            try {
                hasher.truncated(newSize);
            } finally {
                lock.unlock();
            }
        } finally {
            resume();
        }
    }

    /**
     * The piece hashes of the content of {@code length} bytes. Hashes in the caller's thread what the task
     * had not reached, then what in-order hashing could never see (read back, and counted as such).
     * The task resumes afterwards, since the seal may still fail and be retried; {@link #cancel} ends it.
     */
    byte[] finish(long length) throws IOException {
        stopAndWait();
        try {
            long caughtUp = hashAtFrontier(length);
            lock.lock();
            try {
                caughtUpAtSeal += caughtUp;
                return hasher.finish(length);
            } finally {
                lock.unlock();
            }
        } finally {
            resume();
        }
    }

    /** Hashes now, in the caller's thread, the in-order bytes the task has not reached; for tests. */
    void catchUp() throws IOException {
        stopAndWait();
        try {
            hashAtFrontier(size.getAsLong());
        } finally {
            resume();
        }
    }

    /** With the task stopped; returns the bytes hashed. */
    private long hashAtFrontier(long limit) throws IOException {
        long hashed = 0;
        for (PieceHasher.Chunk chunk = takeChunk(limit); chunk != null; chunk = takeChunk(limit)) {
            try {
                chunk.hash();
            } finally {
                giveBack(chunk);
            }
            hashed += chunk.length();
        }
        return hashed;
    }

    /** Stops background hashing for good and waits for the chunk in flight, so the file may be closed. */
    void cancel() {
        lock.lock();
        try {
            cancelled = true;
            stopped = true;
            awaitNoChunkOut();
        } finally {
            lock.unlock();
        }
    }

    /** Bytes the seal read back because in-order hashing never reached them (stale pieces, data past a gap). */
    long bytesReadBack() {
        lock.lock();
        try {
            return hasher.bytesReadBack();
        } finally {
            lock.unlock();
        }
    }

    /** In-order bytes the task had not reached when the seal began, hashed by the seal; for measurements. */
    long bytesCaughtUpAtSeal() {
        lock.lock();
        try {
            return caughtUpAtSeal;
        } finally {
            lock.unlock();
        }
    }

    private void hashSlice() {
        for (long hashed = 0; ; ) {
            PieceHasher.Chunk chunk;
            lock.lock();
            try {
                long limit = size.getAsLong();
                if (stopped || failed || hasher.readyAtFrontier(limit) == 0) {
                    idle();
                    return;
                }
                if (hashed >= SLICE) {
                    requeue();
                    return;
                }
                chunk = hasher.nextChunk(limit);
            } finally {
                lock.unlock();
            }
            boolean ok = false;
            try {
                chunk.hash();
                ok = true;
            } catch (IOException e) {
                LOG.warn("hashing while writing failed; the seal hashes the rest", e);
            } finally {
                giveBack(chunk);
                if (!ok) {
                    lock.lock();
                    try {
                        failed = true;
                        idle();
                    } finally {
                        lock.unlock();
                    }
                }
            }
            if (!ok) {
                return;
            }
            hashed += chunk.length();
        }
    }

    private PieceHasher.Chunk takeChunk(long limit) {
        lock.lock();
        try {
            return hasher.nextChunk(limit);
        } finally {
            lock.unlock();
        }
    }

    private void giveBack(PieceHasher.Chunk chunk) {
        lock.lock();
        try {
            hasher.done(chunk);
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void stopAndWait() {
        lock.lock();
        try {
            stopped = true;
            awaitNoChunkOut();
        } finally {
            lock.unlock();
        }
    }

    private void resume() {
        lock.lock();
        try {
            stopped = cancelled;
            schedule();
        } finally {
            lock.unlock();
        }
    }

    private void awaitNoChunkOut() {
        while (hasher.chunkOut()) {
            progress.awaitUninterruptibly();
        }
    }

    private void schedule() {
        if (scheduled || stopped || failed || hasher.readyAtFrontier(size.getAsLong()) < MIN_BACKLOG) {
            return;
        }
        scheduled = true;
        requeue();
    }

    private void requeue() {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // The store is closing; whatever is left is hashed by a seal, if one still comes.
            idle();
        }
    }

    private void idle() {
        scheduled = false;
        progress.signalAll();
    }

    /** An I/O step run while the task is stopped. */
    interface IoAction {
        void run() throws IOException;
    }
}
