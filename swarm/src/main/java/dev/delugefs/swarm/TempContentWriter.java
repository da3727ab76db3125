package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A content being written into a temp file of the store.
 *
 * <p>Locking, per writer: writes that do not reach the hash frontier (overwrites, writes past a gap) only
 * mark ranges, so they share the read lock and go to disk in parallel. A write at the frontier holds the
 * write lock from its disk write to its hash update: were another write to land on disk in between, the
 * hashes would describe bytes the file no longer holds. Truncate and seal hold the write lock too.
 */
final class TempContentWriter implements ContentWriter {
    private static final Logger LOG = LoggerFactory.getLogger(TempContentWriter.class);

    private enum State { OPEN, SEALED, CLOSED }

    private final Path temp;
    private final FileChannel channel;
    private final int pieceLength;
    private final PieceHasher hasher;
    private final BlockDirectory blocks;
    private final Consumer<TempContentWriter> onFinished;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong size;
    private volatile State state = State.OPEN;

    private TempContentWriter(Path temp, FileChannel channel, int pieceLength, ContentInfo base,
                              BlockDirectory blocks, Consumer<TempContentWriter> onFinished) {
        this.temp = temp;
        this.channel = channel;
        this.pieceLength = pieceLength;
        PieceHasher.Source source = (dst, offset) -> PositionalIo.read(channel, dst, offset, Long.MAX_VALUE);
        this.hasher = base == null ? new PieceHasher(pieceLength, source) : PieceHasher.continuing(base, source);
        this.size = new AtomicLong(base == null ? 0 : base.length());
        this.blocks = blocks;
        this.onFinished = onFinished;
    }

    /** A writer over an empty temp file. */
    static TempContentWriter empty(Path temp, FileChannel channel, int pieceLength, BlockDirectory blocks,
                                   Consumer<TempContentWriter> onFinished) {
        return new TempContentWriter(temp, channel, pieceLength, null, blocks, onFinished);
    }

    /** A writer over a temp file that already holds exactly the bytes of {@code base}. */
    static TempContentWriter copying(Path temp, FileChannel channel, ContentInfo base, BlockDirectory blocks,
                                     Consumer<TempContentWriter> onFinished) {
        return new TempContentWriter(temp, channel, base.pieceLength(), base, blocks, onFinished);
    }

    @Override
    public int write(ByteBuffer src, long offset) throws IOException {
        if (offset < 0 || offset + src.remaining() < 0) {
            throw new IllegalArgumentException("bad write of " + src.remaining() + " bytes at " + offset);
        }
        long end = offset + src.remaining();
        lock.readLock().lock();
        try {
            ensureOpen();
            boolean away;
            synchronized (hasher) {
                away = hasher.recordAway(offset, end);
            }
            if (away) {
                return writeToDisk(src, offset);
            }
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            ensureOpen();
            return writeAndHash(src, offset);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int writeAndHash(ByteBuffer src, long offset) throws IOException {
        long end = offset + src.remaining();
        ByteBuffer written = src.duplicate();
        try {
            int n = writeToDisk(src, offset);
            hasher.written(written.limit(written.position() + n), offset);
            return n;
        } catch (IOException | RuntimeException e) {
            // The disk may hold part of the data: make sure nothing of the range is trusted.
            hasher.mayHaveChanged(offset, end);
            throw e;
        }
    }

    private int writeToDisk(ByteBuffer src, long offset) throws IOException {
        try {
            int n = PositionalIo.write(channel, src, offset);
            size.accumulateAndGet(offset + n, Math::max);
            return n;
        } catch (IOException e) {
            // A write that failed half way still grew the file, as on any filesystem.
            try {
                size.accumulateAndGet(channel.size(), Math::max);
            } catch (IOException sizeFailure) {
                e.addSuppressed(sizeFailure);
            }
            throw e;
        }
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        ensureOpen();
        return PositionalIo.read(channel, dst, offset, size.get());
    }

    @Override
    public long size() {
        return size.get();
    }

    @Override
    public void truncate(long newSize) throws IOException {
        if (newSize < 0) {
            throw new IllegalArgumentException("negative size: " + newSize);
        }
        lock.writeLock().lock();
        try {
            ensureOpen();
            long onDisk = channel.size();
            if (newSize < onDisk) {
                channel.truncate(newSize);
            } else if (newSize > onDisk) {
                // One zero byte at the new end grows the file sparsely; the rest reads as zeros.
                PositionalIo.write(channel, ByteBuffer.allocate(1), newSize - 1);
            }
            hasher.truncated(newSize);
            size.set(newSize);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void force() throws IOException {
        ensureOpen();
        channel.force(false);
    }

    @Override
    public ContentInfo seal(boolean sync) throws IOException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            long length = size.get();
            ContentInfo info = ContentInfo.of(length, pieceLength, hasher.finish(length));
            if (sync) {
                channel.force(true);
            }
            if (!blocks.install(temp, info.id(), sync)) {
                LOG.debug("{} was already stored; dropped the new copy", info.id());
            }
            state = State.SEALED;
            onFinished.accept(this);
            closeSealedChannel();
            return info;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (state != State.OPEN) {
                return;
            }
            state = State.CLOSED;
            try {
                channel.close();
            } finally {
                Files.deleteIfExists(temp);
                onFinished.accept(this);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void closeSealedChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            // The data is in place: a failed close loses nothing, so the seal stands.
            LOG.warn("closing sealed temp file {} failed", temp, e);
        }
    }

    /** Bytes the hasher had to read back from disk rather than see being written; for tests. */
    long bytesReadBack() {
        lock.readLock().lock();
        try {
            return hasher.bytesReadBack();
        } finally {
            lock.readLock().unlock();
        }
    }

    private void ensureOpen() {
        State current = state;
        if (current != State.OPEN) {
            throw new IllegalStateException("content writer is " + current.name().toLowerCase());
        }
    }
}
