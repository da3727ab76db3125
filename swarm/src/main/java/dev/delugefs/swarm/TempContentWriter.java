package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A content being written into a temp file of the store.
 *
 * <p>A write goes to disk and then only notes its range: the piece hashes are computed in the background
 * ({@link BackgroundHasher}). Writes share the read lock and go to disk in parallel; truncate, seal and
 * close hold the write lock, so that they see every write either complete and noted or not begun.
 */
final class TempContentWriter implements ContentWriter {
    private static final Logger LOG = LoggerFactory.getLogger(TempContentWriter.class);

    private enum State { OPEN, SEALED, CLOSED }

    private final Path temp;
    private final FileChannel channel;
    private final int pieceLength;
    private final BackgroundHasher hashing;
    private final BlockDirectory blocks;
    private final Consumer<TempContentWriter> onFinished;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong size;
    private volatile State state = State.OPEN;

    private TempContentWriter(Path temp, FileChannel channel, int pieceLength, ContentInfo base,
                              BlockDirectory blocks, Executor hashExecutor, Consumer<TempContentWriter> onFinished) {
        this.temp = temp;
        this.channel = channel;
        this.pieceLength = pieceLength;
        PieceHasher.Source source = (dst, offset) -> PositionalIo.read(channel, dst, offset, Long.MAX_VALUE);
        PieceHasher hasher = base == null ? new PieceHasher(pieceLength, source) : PieceHasher.continuing(base, source);
        this.size = new AtomicLong(base == null ? 0 : base.length());
        this.hashing = new BackgroundHasher(hasher, hashExecutor, size::get);
        this.blocks = blocks;
        this.onFinished = onFinished;
    }

    /** A writer over an empty temp file, hashing on {@code hashExecutor}. */
    static TempContentWriter empty(Path temp, FileChannel channel, int pieceLength, BlockDirectory blocks,
                                   Executor hashExecutor, Consumer<TempContentWriter> onFinished) {
        return new TempContentWriter(temp, channel, pieceLength, null, blocks, hashExecutor, onFinished);
    }

    /** A writer over a temp file that already holds exactly the bytes of {@code base}. */
    static TempContentWriter copying(Path temp, FileChannel channel, ContentInfo base, BlockDirectory blocks,
                                     Executor hashExecutor, Consumer<TempContentWriter> onFinished) {
        return new TempContentWriter(temp, channel, base.pieceLength(), base, blocks, hashExecutor, onFinished);
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
            try {
                return writeToDisk(src, offset);
            } finally {
                // Noted even when the write failed: the disk may hold part of it.
                hashing.written(offset, end);
            }
        } finally {
            lock.readLock().unlock();
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
            hashing.truncate(newSize, () -> {
                long onDisk = channel.size();
                if (newSize < onDisk) {
                    channel.truncate(newSize);
                } else if (newSize > onDisk) {
                    // One zero byte at the new end grows the file sparsely; the rest reads as zeros.
                    PositionalIo.write(channel, ByteBuffer.allocate(1), newSize - 1);
                }
                size.set(newSize);
            });
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
            ContentInfo info = ContentInfo.of(length, pieceLength, hashing.finish(length));
            if (sync) {
                channel.force(true);
            }
            if (!blocks.install(temp, info.id(), sync)) {
                LOG.debug("{} was already stored; dropped the new copy", info.id());
            }
            state = State.SEALED;
            hashing.cancel();
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
            hashing.cancel();
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

    /**
     * Bytes the seal read back because hashing in order never reached them: pieces overwritten after
     * they were hashed, data past a gap. In-order data the background had not reached yet is not counted.
     */
    long bytesReadBack() {
        return hashing.bytesReadBack();
    }

    /** In-order bytes the background had not hashed yet when the seal began; for measurements. */
    long bytesCaughtUpAtSeal() {
        return hashing.bytesCaughtUpAtSeal();
    }

    /** Hashes now whatever in-order data the background has not; for tests that need it hashed before going on. */
    void catchUpHashing() throws IOException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            hashing.catchUp();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void ensureOpen() {
        State current = state;
        if (current != State.OPEN) {
            throw new IllegalStateException("content writer is " + current.name().toLowerCase());
        }
    }
}
