package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.Inode;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.Record;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import dev.delugefs.swarm.ContentWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The data side of one inode while any handle has it open. All handles of an inode share it, so a reader
 * sees what another handle wrote. Writes go to a {@link ContentWriter} (a temp file), made on the first
 * write from the sealed content; sealing turns it back into content-addressed storage and records it.
 *
 * <p>Locking is per file: reads and writes share the read lock (the writer is thread-safe), creating,
 * truncating and sealing the writer take the write lock. The monitor guards only the handle count.
 */
final class OpenFile {
    private final Inode inode;
    private final Namespace namespace;
    private final BlockStore blocks;
    private final ContentNetwork network;
    private final int pieceLength;
    private final ReentrantReadWriteLock data = new ReentrantReadWriteLock();

    private int handles;
    private boolean closed;

    private volatile ContentWriter writer;
    private volatile boolean dirty;
    private volatile long mtime;
    private volatile long ctime;
    private final Object readerLock = new Object();
    private volatile ContentReader reader;
    private volatile String readerId;

    OpenFile(Inode inode, Namespace namespace, BlockStore blocks, ContentNetwork network, int pieceLength) {
        this.inode = inode;
        this.namespace = namespace;
        this.blocks = blocks;
        this.network = network;
        this.pieceLength = pieceLength;
        this.mtime = inode.record().mtime();
        this.ctime = inode.record().ctime();
    }

    Inode inode() {
        return inode;
    }

    /** Counts one more handle; false if this file was closed meanwhile and a fresh one must be made. */
    synchronized boolean retain() {
        if (closed) {
            return false;
        }
        handles++;
        return true;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Counts one handle less; at the last one seals what is unsealed and returns true. */
    boolean releaseHandle() throws IOException {
        synchronized (this) {
            if (--handles > 0) {
                return false;
            }
            closed = true;
        }
        data.writeLock().lock();
        try {
            ContentWriter w = writer;
            if (w != null) {
                if (dirty && inode.isLinked()) {
                    sealLocked(false);
                } else {
                    w.close();
                    writer = null;
                }
            }
            closeReader();
        } finally {
            data.writeLock().unlock();
        }
        return true;
    }

    long size() {
        ContentWriter w = writer;
        return w != null ? w.size() : inode.record().size();
    }

    long mtime() {
        return writer != null ? mtime : inode.record().mtime();
    }

    /**
     * The change time stat reports. While unsealed writes exist it is the time of the last of them (or of
     * an attribute change, if later), and the seal records that same time: a ctime that moved at the seal
     * would tell tools like tar that the file changed while they read it.
     */
    long ctime() {
        long recorded = inode.record().ctime();
        return writer != null ? Math.max(ctime, recorded) : recorded;
    }

    /** A utimens while writing must survive the seal, which otherwise stamps the time of the last write. */
    void setMtime(long nanos) {
        mtime = nanos;
        ctime = Namespace.nowNanos();
    }

    private void touch() {
        long now = Namespace.nowNanos();
        mtime = now;
        ctime = now;
    }

    int read(ByteBuffer dst, long offset) throws IOException {
        data.readLock().lock();
        try {
            ContentWriter w = writer;
            if (w != null) {
                return fill(w::read, dst, offset);
            }
            ContentReader r = reader();
            return r == null ? 0 : fill(r::read, dst, offset);
        } finally {
            data.readLock().unlock();
        }
    }

    int write(ByteBuffer src, long offset) throws IOException {
        data.readLock().lock();
        try {
            ContentWriter w = writer;
            if (w == null) {
                w = startWriting();
            }
            int n = w.write(src, offset);
            dirty = true;
            touch();
            return n;
        } finally {
            data.readLock().unlock();
        }
    }

    void truncate(long size) throws IOException {
        data.writeLock().lock();
        try {
            if (writer == null) {
                if (size == inode.record().size()) {
                    return;
                }
                writer = newWriter(size == 0);
            }
            writer.truncate(size);
            dirty = true;
            touch();
        } finally {
            data.writeLock().unlock();
        }
    }

    /** Seals unsealed writes into the block store and the namespace; true if there was anything to seal. */
    boolean seal(boolean force) throws IOException {
        data.writeLock().lock();
        try {
            if (writer == null || !dirty || !inode.isLinked()) {
                return false;
            }
            sealLocked(force);
            return true;
        } finally {
            data.writeLock().unlock();
        }
    }

    /** fsync(2): seals with a device flush, or flushes the content an earlier close sealed without one. */
    void fsync() throws IOException {
        if (!seal(true) && inode.isLinked()) {
            Record.Content content = inode.record().content();
            if (content != null) {
                try {
                    blocks.force(content.id());
                } catch (NoSuchFileException e) {
                    // content held elsewhere: this node never wrote it, so it has nothing of it to flush
                }
            }
        }
    }

    private void sealLocked(boolean sync) throws IOException {
        ContentInfo info = writer.seal(sync);
        writer = null;
        dirty = false;
        closeReader();
        long sealedMtime = mtime;
        long sealedCtime = ctime;
        Record.Content content = new Record.Content(info.id(), info.pieceLength(), info.pieces());
        namespace.update(inode, r -> r.toBuilder().size(info.length()).content(content)
                .mtime(sealedMtime).ctime(Math.max(sealedCtime, r.ctime())).build());
    }

    /** Called with the read lock held; returns holding it again, with a writer in place. */
    private ContentWriter startWriting() throws IOException {
        data.readLock().unlock();
        data.writeLock().lock();
        try {
            if (writer == null) {
                writer = newWriter(false);
            }
            return writer;
        } finally {
            data.readLock().lock();
            data.writeLock().unlock();
        }
    }

    private ContentWriter newWriter(boolean empty) throws IOException {
        Record record = inode.record();
        Record.Content content = record.content();
        if (empty || content == null || record.size() == 0) {
            return blocks.create(content != null ? content.pieceLength() : pieceLength);
        }
        ContentInfo base = contentInfo(record);
        if (!blocks.has(base.id())) {
            // held elsewhere: fetch only the pieces the changes do not replace whole
            ContentReader remote = network.reader(base);
            try {
                return new RemoteBaseWriter(blocks.sparseCopyOf(base), base, remote);
            } catch (IOException | RuntimeException e) {
                remote.close();
                throw e;
            }
        }
        return blocks.copyOf(base);
    }

    private ContentInfo contentInfo(Record record) throws FsException {
        Record.Content content = record.content();
        ContentInfo info = ContentInfo.of(record.size(), content.pieceLength(), content.pieces());
        if (!info.id().equals(content.id())) {
            throw new FsException(Errno.EIO, "record of inode " + inode.ino() + " names content " + content.id()
                    + " but its pieces hash to " + info.id());
        }
        return info;
    }

    private ContentReader reader() throws IOException {
        Record record = inode.record();
        Record.Content content = record.content();
        if (content == null) {
            return null;
        }
        // the common case, a reader for the current content, needs no lock: reads of one file run in
        // parallel (the kernel's read-ahead sends several at once)
        ContentReader current = reader;
        if (current != null && content.id().equals(readerId)) {
            return current;
        }
        synchronized (readerLock) {
            if (reader == null || !content.id().equals(readerId)) {
                closeReader();
                try {
                    reader = blocks.open(content.id());
                } catch (NoSuchFileException e) {
                    reader = network.reader(contentInfo(record));
                }
                readerId = content.id();
                network.reading(content.id());
            }
            return reader;
        }
    }

    private void closeReader() throws IOException {
        synchronized (readerLock) {
            if (reader != null) {
                reader.close();
                reader = null;
                readerId = null;
            }
        }
    }

    private interface PositionalRead {
        int read(ByteBuffer dst, long offset) throws IOException;
    }

    /** FUSE treats a short read as end of file, so keep reading until the buffer is full or the data ends. */
    private static int fill(PositionalRead source, ByteBuffer dst, long offset) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = source.read(dst, offset + total);
            if (n <= 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
