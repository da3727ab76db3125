package dev.delugefs.swarm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A content being written: a temp file plus the piece hashes known so far. Piece hashes are computed
 * beside the writes, in the background, as data arrives in order, so sealing a sequentially written file
 * only finishes what the background has not reached yet.
 *
 * <p>All methods may be called from several threads. After {@link #seal()} or {@link #close()} every
 * method but {@code close} throws {@link IllegalStateException}.
 */
public interface ContentWriter extends Closeable {

    /** Writes all of {@code src} at {@code offset}, growing the content if needed; returns the bytes written. */
    int write(ByteBuffer src, long offset) throws IOException;

    /** Reads what was written; returns the bytes read, 0 if {@code dst} is full, -1 at or after the end. */
    int read(ByteBuffer dst, long offset) throws IOException;

    long size();

    /** Shrinks or grows the content; a grown part reads as zeros. */
    void truncate(long size) throws IOException;

    /** Flushes the written data to the device. */
    void force() throws IOException;

    /**
     * Finishes the hashes and moves the data into the store under its id, or drops it if that id is
     * already stored. Sealed content survives a crash of the process; with {@code sync} the data and its
     * directory entries are also forced to the device, so it survives a crash of the machine (fsync(2)
     * asks for that; close(2) does not, and paying a device flush on every close would make small files
     * slow). If it fails, the writer stays usable and {@code seal} may be retried.
     */
    ContentInfo seal(boolean sync) throws IOException;

    /** {@link #seal(boolean)} without forcing anything to the device. */
    default ContentInfo seal() throws IOException {
        return seal(false);
    }

    /** Without a successful seal, discards the data. Idempotent. */
    @Override
    void close() throws IOException;
}
