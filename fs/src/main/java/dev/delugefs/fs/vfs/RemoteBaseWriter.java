package dev.delugefs.fs.vfs;

import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import dev.delugefs.swarm.ContentWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Changes to a file whose old content is held by other nodes. The writer starts sparse and notes which
 * bytes of each old piece were overwritten; a piece of the old content is fetched only when its old bytes
 * are needed: a read of it, a truncate inside it, or the seal, for the parts never overwritten. A piece
 * the writes cover whole is never fetched, however many writes it took (the kernel sends 128 KiB each).
 */
final class RemoteBaseWriter implements ContentWriter {
    private final ContentWriter inner;
    private final ContentInfo base;
    private final ContentReader remote;
    /** Pieces of {@code base} whose old bytes the temp file lacks in part, and that are still in the file. */
    private final BitSet missing;  // guarded by this
    /** For each missing piece, the ranges written since (start to end, merged). */
    private final Map<Integer, TreeMap<Long, Long>> overwritten = new HashMap<>();  // guarded by this

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
        if (!touchesMissing(offset, end)) {
            return inner.write(src, offset);
        }
        synchronized (this) {
            // under the monitor, so that a fill of the same piece cannot put old bytes over these
            int n = inner.write(src, offset);
            noteWritten(offset, offset + n);
            return n;
        }
    }

    private synchronized boolean touchesMissing(long offset, long end) {
        if (offset >= base.length() || end <= offset) {
            return false;
        }
        int next = missing.nextSetBit(pieceOf(offset));
        return next >= 0 && next <= pieceOf(Math.min(end, base.length()) - 1);
    }

    /** Records a write; a piece it completes needs nothing from the old content any more. Holding the monitor. */
    private void noteWritten(long offset, long end) {
        for (int piece = pieceOf(offset); piece <= pieceOf(Math.min(end, base.length()) - 1); piece++) {
            if (!missing.get(piece)) {
                continue;
            }
            long start = pieceStart(piece);
            long stop = pieceEnd(piece);
            TreeMap<Long, Long> ranges = overwritten.computeIfAbsent(piece, p -> new TreeMap<>());
            add(ranges, Math.max(offset, start), Math.min(end, stop));
            Map.Entry<Long, Long> first = ranges.firstEntry();
            if (first.getKey() <= start && first.getValue() >= stop) {
                missing.clear(piece);
                overwritten.remove(piece);
            }
        }
    }

    private static void add(TreeMap<Long, Long> ranges, long start, long end) {
        Map.Entry<Long, Long> before = ranges.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
            ranges.remove(before.getKey());
        }
        for (Map.Entry<Long, Long> next = ranges.ceilingEntry(start); next != null && next.getKey() <= end;
             next = ranges.ceilingEntry(start)) {
            end = Math.max(end, next.getValue());
            ranges.remove(next.getKey());
        }
        ranges.put(start, end);
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
            for (int piece = missing.nextSetBit(firstGone); piece >= 0; piece = missing.nextSetBit(piece + 1)) {
                overwritten.remove(piece);
            }
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

    /**
     * Fetches one piece of the old content and puts its bytes where nothing was written since. Called
     * holding the monitor.
     */
    private void fill(int piece) throws IOException {
        long start = pieceStart(piece);
        int length = (int) (pieceEnd(piece) - start);
        ByteBuffer bytes = ByteBuffer.allocate(length);
        while (bytes.hasRemaining()) {
            int n = remote.read(bytes, start + bytes.position());
            if (n <= 0) {
                throw new IOException("content " + base.id() + " ended at " + (start + bytes.position())
                        + " while fetching piece " + piece);
            }
        }
        long gap = start;
        TreeMap<Long, Long> written = overwritten.getOrDefault(piece, new TreeMap<>());
        written.put(pieceEnd(piece), pieceEnd(piece));  // closes the last gap
        for (Map.Entry<Long, Long> range : written.entrySet()) {
            if (range.getKey() > gap) {
                inner.write(bytes.duplicate().position((int) (gap - start)).limit((int) (range.getKey() - start)), gap);
            }
            gap = Math.max(gap, range.getValue());
        }
        missing.clear(piece);
        overwritten.remove(piece);
    }

    private int pieceOf(long offset) {
        return (int) (offset / base.pieceLength());
    }

    private long pieceStart(int piece) {
        return (long) piece * base.pieceLength();
    }

    private long pieceEnd(int piece) {
        return Math.min(pieceStart(piece) + base.pieceLength(), base.length());
    }
}
