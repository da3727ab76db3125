package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Refuses file data (ENOSPC) while the storage disk still has a reserve, so that the journal, the Git
 * commits and deletes always find room: a volume that filled its disk to the last byte could not even
 * record the rm that would free it. The free space is read again every few MiB or milliseconds, not on
 * every write.
 */
final class SpaceGuard {
    static final long MAX_RESERVE = 64L << 20;
    private static final long REFRESH_BYTES = 8L << 20;
    private static final long REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final LongSupplier usableSpace;
    private final long reserve;
    private final AtomicLong writtenSinceCheck = new AtomicLong();
    private volatile long usableAtCheck;
    private volatile long checkedAt;

    SpaceGuard(LongSupplier usableSpace, long totalSpace) {
        this.usableSpace = usableSpace;
        this.reserve = Math.min(MAX_RESERVE, totalSpace / 20);
        refresh();
    }

    static SpaceGuard of(StorageSpace space) {
        return new SpaceGuard(space::usable, space.total());
    }

    long reserve() {
        return reserve;
    }

    /** Called before {@code bytes} of file data are written. */
    void claim(int bytes) throws FsException {
        long written = writtenSinceCheck.addAndGet(bytes);
        if (written > REFRESH_BYTES || System.nanoTime() - checkedAt > REFRESH_NANOS
                || usableAtCheck - written < reserve) {
            refresh();
            written = writtenSinceCheck.addAndGet(bytes);
        }
        if (usableAtCheck - written < reserve) {
            writtenSinceCheck.addAndGet(-bytes);
            throw new FsException(Errno.ENOSPC, "the storage disk is full (DelugeFS keeps "
                    + (reserve >> 20) + " MiB free for its journal)");
        }
    }

    private synchronized void refresh() {
        usableAtCheck = usableSpace.getAsLong();
        writtenSinceCheck.set(0);
        checkedAt = System.nanoTime();
    }
}
