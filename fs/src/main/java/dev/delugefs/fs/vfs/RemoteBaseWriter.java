package dev.delugefs.fs.vfs;

import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import dev.delugefs.swarm.ContentWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Changes to a file whose old content is held by other nodes. The writer starts sparse; a piece of the old
 * content is fetched only when something needs its old bytes: a write or truncate that keeps part of it, a
 * read of it, or the seal for pieces never touched. Pieces a write replaces whole are never fetched.
 */
final class RemoteBaseWriter implements ContentWriter {
    private final ContentWriter inner;
    private final ContentInfo base;
    private final ContentReader remote;
    /** Pieces of {@code base} the temp file does not hold yet and that are still part of the file. */
    private final BitSet missing;  // guarded by this

    RemoteBaseWriter(ContentWriter inner, ContentInfo base, ContentReader remote) {
        this.inner = inner;
        this.base = base;
        this.remote = remote;
        this.missing = new BitSet(base.pieceCount());
        missing.set(0, base.pieceCount());
    }

    @Override
    public int write(ByteBuffer src, long offset) throws IOException {
        long end = offset + src.remaining();
        prepareWrite(offset, end);
        return inner.write(src, offset);
    }

    /** The pieces the write covers whole lose their old bytes; those it covers in part need them first. */
    private synchronized void prepareWrite(long offset, long end) throws IOException {
        if (offset >= base.length() || end <= offset) {
            return;
        }
        int first = pieceOf(offset);
        int last = pieceOf(Math.min(end, base.length()) - 1);
        for (int piece = first; piece <= last; piece++) {
            if (!missing.get(piece)) {
                continue;
            }
            long start = (long) piece * base.pieceLength();
            long stop = Math.min(start + base.pieceLength(), base.length());
            if (offset <= start && end >= stop) {
                missing.clear(piece);
            } else {
                fill(piece);
            }
        }
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        long end = Math.min(offset + dst.remaining(), Math.min(base.length(), inner.size()));
        if (offset < end) {
            fillRange(pieceOf(offset), pieceOf(end - 1));
        }
        return inner.read(dst, offset);
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public synchronized void truncate(long size) throws IOException {
        if (size < base.length()) {
            // the piece that ends the file keeps its head; pieces after it are gone
            if (size > 0 && size % base.pieceLength() != 0) {
                int piece = pieceOf(size - 1);
                if (missing.get(piece)) {
                    fill(piece);
                }
            }
            int firstGone = (int) ((size + base.pieceLength() - 1) / base.pieceLength());
            missing.clear(firstGone, base.pieceCount());
        }
        inner.truncate(size);
    }

    @Override
    public void force() throws IOException {
        inner.force();
    }

    @Override
    public ContentInfo seal(boolean sync) throws IOException {
        fillRange(0, base.pieceCount() - 1);
        return inner.seal(sync);
    }

    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            remote.close();
        }
    }

    private synchronized void fillRange(int first, int last) throws IOException {
        for (int piece = missing.nextSetBit(first); piece >= 0 && piece <= last; piece = missing.nextSetBit(piece + 1)) {
            fill(piece);
        }
    }

    /** Copies one piece of the old content in from the network. Called holding the monitor. */
    private void fill(int piece) throws IOException {
        long start = (long) piece * base.pieceLength();
        int length = (int) Math.min(base.pieceLength(), base.length() - start);
        ByteBuffer bytes = ByteBuffer.allocate(length);
        while (bytes.hasRemaining()) {
            int n = remote.read(bytes, start + bytes.position());
            if (n <= 0) {
                throw new IOException("content " + base.id() + " ended at " + (start + bytes.position())
                        + " while fetching piece " + piece);
            }
        }
        bytes.flip();
        inner.write(bytes, start);
        missing.clear(piece);
    }

    private int pieceOf(long offset) {
        return (int) (offset / base.pieceLength());
    }
}
