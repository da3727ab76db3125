package dev.delugefs.metadata;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The group-commit thread: waits until changes have been queued for {@code delay} (or a sync asks),
 * then runs one {@link Step} that commits all of them. A change that comes after a quiet spell (no commit
 * for a whole delay) waits only {@link #QUIET_DELAY_MILLIS}: one file saved on an idle volume reaches the
 * other nodes at once, while a burst of changes is still committed in groups. Sequence numbers (one per record() call)
 * tell a sync when its changes are in.
 *
 * <p>A failed step is logged and retried after {@link #RETRY_MILLIS}; its changes stay in the
 * journal meanwhile, so nothing is lost, and a waiting sync gets the error instead of hanging.
 */
final class Committer implements Closeable {

    static final long RETRY_MILLIS = 1000;
    static final long QUIET_DELAY_MILLIS = 25;
    private static final Logger LOG = LoggerFactory.getLogger(Committer.class);

    /** One commit of everything queued so far. */
    interface Step {
        /** @return the sequence number of the last record() call that is now committed */
        long commitQueued() throws IOException;
    }

    private final Step step;
    private final long delayNanos;
    private final Thread thread;

    // all guarded by "this"
    private long queuedSeq;
    private long committedSeq;
    private long firstQueuedAt;
    private long lastCommitAt = System.nanoTime() - Long.MAX_VALUE / 4;
    private long retryAt;
    private boolean backingOff;
    private boolean urgent;
    private boolean closing;
    private boolean halted;
    private long attemptsStarted;
    private long failedAttempt = -1;
    private Exception lastFailure;
    private Exception finalFailure;

    Committer(Step step, long delayMillis, long committedSeq, String name) {
        this.step = step;
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMillis);
        this.committedSeq = committedSeq;
        this.queuedSeq = committedSeq;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Call {@code seq} was recorded; it will be committed within the delay. */
    synchronized void queued(long seq) {
        if (seq <= queuedSeq) {
            return;
        }
        boolean wasIdle = queuedSeq == committedSeq;
        if (wasIdle) {
            long now = System.nanoTime();
            long quiet = TimeUnit.MILLISECONDS.toNanos(QUIET_DELAY_MILLIS);
            firstQueuedAt = now - lastCommitAt > delayNanos && delayNanos > quiet ? now - (delayNanos - quiet) : now;
        }
        queuedSeq = seq;
        // only an idle committer sleeps without a deadline; waking a waiting one on every record() costs
        // a context switch per file operation
        if (wasIdle) {
            notifyAll();
        }
    }

    /** Commits now and waits until call {@code seq} is committed; throws if an attempt made for it fails. */
    synchronized void awaitCommitted(long seq) throws IOException {
        if (committedSeq >= seq) {
            return;
        }
        queuedSeq = Math.max(queuedSeq, seq);
        urgent = true;
        long firstAttemptForUs = attemptsStarted + 1;
        notifyAll();
        boolean interrupted = false;
        try {
            while (committedSeq < seq) {
                if (failedAttempt >= firstAttemptForUs) {
                    throw new IOException("commit failed; the changes stay in the journal and will be retried",
                            lastFailure);
                }
                if (!thread.isAlive() || closing || halted) {
                    throw new IOException("namespace store is closed");
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Commits what is queued, then stops the thread. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            closing = true;
            notifyAll();
        }
        joinThread();
        synchronized (this) {
            if (finalFailure != null) {
                throw new IOException("closed with uncommitted changes; they stay in the journal for the next open",
                        finalFailure);
            }
        }
    }

    /** Stops without committing, as a crash would (tests). */
    void halt() {
        synchronized (this) {
            halted = true;
            notifyAll();
        }
        joinThread();
    }

    private void joinThread() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (true) {
            long attempt;
            boolean last;
            synchronized (this) {
                if (!awaitWork()) {
                    notifyAll();
                    return;
                }
                urgent = false;
                attempt = ++attemptsStarted;
                last = closing;
            }
            long startedAt = System.nanoTime();
            Exception failure = null;
            long seq = -1;
            try {
                seq = step.commitQueued();
            } catch (IOException | RuntimeException e) {
                failure = e;
                LOG.warn("commit failed; retrying in {} ms, the changes stay in the journal", RETRY_MILLIS, e);
            }
            synchronized (this) {
                if (failure == null) {
                    backingOff = false;
                    committedSeq = Math.max(committedSeq, seq);
                    // whatever arrived during the commit has waited at most since it started
                    firstQueuedAt = startedAt;
                    lastCommitAt = System.nanoTime();
                } else {
                    lastFailure = failure;
                    failedAttempt = attempt;
                    backingOff = true;
                    retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
                }
                notifyAll();
                if (last) {
                    finalFailure = failure;
                    return;
                }
            }
        }
    }

    /** Waits for a due batch, or for close(); false when the thread should stop. Holds the monitor. */
    private boolean awaitWork() {
        while (true) {
            if (halted) {
                return false;
            }
            if (closing) {
                // one last attempt whatever we were told: a record() may have returned without its
                // queued() call reaching us yet, and the step drains the store's queue in any case
                return true;
            }
            boolean work = queuedSeq > committedSeq;
            long waitNanos = Long.MAX_VALUE;
            if (work) {
                long now = System.nanoTime();
                long due = urgent ? now : firstQueuedAt + delayNanos;
                if (!urgent && backingOff && retryAt - due > 0) {
                    due = retryAt;
                }
                if (due - now <= 0) {
                    return true;
                }
                waitNanos = due - now;
            }
            try {
                if (waitNanos == Long.MAX_VALUE) {
                    wait();
                } else {
                    TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
                }
            } catch (InterruptedException e) {
                // the thread is ours; only halt() and close() end it, and they notify
            }
        }
    }
}
