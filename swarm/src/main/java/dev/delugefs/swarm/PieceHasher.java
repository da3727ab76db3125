package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The piece hashes of one content while it is written (DESIGN §5.2).
 *
 * <p>The <em>frontier</em> is the length of the prefix already fed to the hashes: every piece below it is
 * hashed (or marked stale), and the running digest holds the bytes of the piece it is in. A write is only
 * noted, after its bytes are on disk: an overwrite below the frontier makes the touched pieces stale, a
 * write past it is remembered as a range. The written range at the frontier is hashed in {@link Chunk}s
 * read back from the source (the temp file, still in the page cache), outside whatever lock the caller
 * serialises its calls with, so that hashing never holds up a write. {@link #finish} hashes what is still
 * unknown; holes hash as zeros without being read.
 *
 * <p>A chunk works on a copy of the running state, so one taken back by {@link #done} simply replaces it.
 * A write noted while a chunk is out may have landed on disk before or after the chunk read those bytes:
 * the pieces it touches are marked stale once the chunk is in, and are read back at the end.
 *
 * <p>Not thread-safe: the caller serialises every call except {@link Chunk#hash}.
 */
final class PieceHasher {
    /** Past this many separate ranges beyond the frontier, stop tracking them and read it all back at the end. */
    static final int MAX_TRACKED_RANGES = 1024;

    /** The most a chunk covers: bounds how long a seal, truncate or close waits for the chunk out. */
    static final int MAX_CHUNK = 1 << 20;

    private static final int READ_BACK_CHUNK = 256 * 1024;
    private static final byte[] ZEROS = new byte[64 * 1024];
    private static final byte[] UNKNOWN = new byte[Sha1.LENGTH];

    /** Reads bytes back from the written data; may return fewer than asked, or -1 at the end. */
    interface Source {
        int read(ByteBuffer dst, long offset) throws IOException;
    }

    private final int pieceLength;
    private final Source source;
    /** Hashes of the pieces below the frontier's piece. */
    private final PieceHashes complete = new PieceHashes();
    /** Pieces of {@link #complete} overwritten since they were hashed. */
    private final BitSet stale = new BitSet();
    /** Ranges beyond the frontier that may hold written data; everything else there is a hole. */
    private final RangeSet ahead = new RangeSet();
    private boolean aheadUntracked;
    private Cursor cursor;
    private Chunk out;
    private long bytesReadBack;
    private ByteBuffer readBuffer;

    PieceHasher(int pieceLength, Source source) {
        if (pieceLength <= 0) {
            throw new IllegalArgumentException("piece length must be positive: " + pieceLength);
        }
        this.pieceLength = pieceLength;
        this.source = source;
        this.cursor = new Cursor(pieceLength);
    }

    /** A hasher for a copy of {@code base}, trusting its hashes for every piece not touched later. */
    static PieceHasher continuing(ContentInfo base, Source source) {
        PieceHasher hasher = new PieceHasher(base.pieceLength(), source);
        int whole = (int) (base.length() / base.pieceLength());
        for (int i = 0; i < whole; i++) {
            hasher.complete.append(base.pieceHash(i));
        }
        hasher.cursor.position = base.length();
        if (whole < base.pieceCount()) {
            // Only the final hash of the short last piece is known, not a digest that could be extended.
            hasher.cursor.stale = true;
            hasher.cursor.inheritedTail = base.pieceHash(whole);
        }
        return hasher;
    }

    long frontier() {
        return cursor.position;
    }

    /** Bytes read back by {@link #finish}: what hashing at the frontier never reached. */
    long bytesReadBack() {
        return bytesReadBack;
    }

    /**
     * Notes that {@code [offset, end)} may hold new bytes; to be called once a write is on disk (or has
     * failed half way), and before anything that relies on it, such as {@link #finish}.
     */
    void mayHaveChanged(long offset, long end) {
        if (out != null) {
            out.noteWrite(offset, end);
        }
        long frontier = cursor.position;
        markStale(offset, Math.min(end, frontier));
        if (end > frontier) {
            recordAhead(Math.max(offset, frontier), end);
        }
    }

    /** The bytes {@link #nextChunk} would take out now. */
    long readyAtFrontier(long limit) {
        return Math.max(0, chunkEnd(limit) - cursor.position);
    }

    /**
     * Takes out the written bytes at the frontier, below {@code limit} and at most {@link #MAX_CHUNK} of
     * them, to be hashed by {@link Chunk#hash} and handed back to {@link #done}; null if there are none or
     * a chunk is already out.
     */
    Chunk nextChunk(long limit) {
        long end = chunkEnd(limit);
        if (end <= cursor.position) {
            return null;
        }
        out = new Chunk(cursor.copy(), end, source, readBuffer(end - cursor.position), pieceLength);
        return out;
    }

    private long chunkEnd(long limit) {
        if (out != null || aheadUntracked) {
            return cursor.position;
        }
        long covered = ahead.coveredFrom(cursor.position);
        return Math.min(Math.min(covered, limit), cursor.position + MAX_CHUNK);
    }

    /** Takes back the chunk out, whether or not it was hashed; only a hashed one moves the frontier. */
    void done(Chunk chunk) {
        if (chunk != out) {
            throw new IllegalStateException("not the chunk taken out");
        }
        out = null;
        if (!chunk.hashed) {
            return;
        }
        cursor = chunk.cursor;
        takeCompleted();
        chunk.touched.forEach((from, to) -> markStale(from, Math.min(to, cursor.position)));
    }

    boolean chunkOut() {
        return out != null;
    }

    /** Notes that the content was cut or grown to {@code size}; no chunk may be out. */
    void truncated(long size) {
        requireNoChunkOut();
        if (size > cursor.position) {
            if (!aheadUntracked) {
                ahead.clipTo(size);
            }
            return;
        }
        ahead.clear();
        aheadUntracked = false;
        if (size == cursor.position) {
            return;
        }
        int kept = (int) (size / pieceLength);
        complete.truncate(kept);
        stale.clear(kept, Integer.MAX_VALUE);
        cursor.position = size;
        cursor.digest.reset();
        cursor.inheritedTail = null;
        cursor.stale = size % pieceLength != 0;
    }

    /**
     * The {@code pieces} of the content of length {@code size}; no chunk may be out. Reads back what
     * hashing at the frontier did not reach. Leaves the hasher consistent, so a failed seal may be retried.
     */
    byte[] finish(long size) throws IOException {
        requireNoChunkOut();
        if (size < cursor.position) {
            throw new IllegalStateException("size " + size + " is below the hashed prefix " + cursor.position);
        }
        while (cursor.position < size) {
            long covered = aheadUntracked ? size : ahead.coveredFrom(cursor.position);
            if (covered > cursor.position) {
                readBack(Math.min(covered, size));
            } else {
                feedZeros(Math.min(ahead.nextStartAfter(cursor.position), size));
            }
        }
        for (int i = stale.nextSetBit(0); i >= 0; i = stale.nextSetBit(i + 1)) {
            complete.set(i, hashFromSource((long) i * pieceLength, pieceLength));
            stale.clear(i);
        }
        long frontier = cursor.position;
        long lastStart = frontier - frontier % pieceLength;
        if (lastStart == frontier) {
            return complete.toArray(null);
        }
        byte[] last;
        if (!cursor.stale) {
            last = copyOf(cursor.digest).digest();
        } else if (cursor.inheritedTail != null) {
            last = cursor.inheritedTail;
        } else {
            last = hashFromSource(lastStart, (int) (frontier - lastStart));
        }
        return complete.toArray(last);
    }

    private void requireNoChunkOut() {
        if (out != null) {
            throw new IllegalStateException("a chunk is being hashed");
        }
    }

    private void markStale(long from, long to) {
        if (from >= to) {
            return;
        }
        long currentStart = cursor.position - cursor.position % pieceLength;
        if (to > currentStart) {
            cursor.stale = true;
            cursor.inheritedTail = null;
        }
        int first = (int) (from / pieceLength);
        int end = (int) Math.min((to - 1) / pieceLength + 1, complete.count());
        if (first < end) {
            stale.set(first, end);
        }
    }

    private void recordAhead(long from, long to) {
        if (aheadUntracked) {
            return;
        }
        ahead.add(from, to);
        if (ahead.size() > MAX_TRACKED_RANGES) {
            ahead.clear();
            aheadUntracked = true;
        }
    }

    /** Moves the pieces the cursor completed into {@link #complete}. */
    private void takeCompleted() {
        for (byte[] hash : cursor.completed) {
            if (hash == null) {
                stale.set(complete.count());
                complete.append(UNKNOWN);
            } else {
                complete.append(hash);
            }
        }
        cursor.completed.clear();
    }

    private void readBack(long until) throws IOException {
        ByteBuffer buffer = readBuffer(until - cursor.position);
        while (cursor.position < until) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), until - cursor.position));
            int n = source.read(buffer, cursor.position);
            if (n <= 0) {
                throw new IOException("written data ends at " + cursor.position + ", expected " + until + " bytes");
            }
            bytesReadBack += n;
            cursor.feed(buffer.flip());
            takeCompleted();
        }
    }

    /** Advances over a hole: whole pieces take the precomputed zero hash, partial ones are fed zeros. */
    private void feedZeros(long until) {
        byte[] zeroPiece = null;
        while (cursor.position < until) {
            long position = cursor.position;
            if (position % pieceLength == 0 && until - position >= pieceLength && !cursor.stale) {
                zeroPiece = zeroPiece != null ? zeroPiece : Sha1.ofZeros(pieceLength);
                cursor.position += pieceLength;
                cursor.completePiece(zeroPiece);
            } else {
                long toBoundary = pieceLength - position % pieceLength;
                int n = (int) Math.min(Math.min(ZEROS.length, until - position), toBoundary);
                cursor.feed(ByteBuffer.wrap(ZEROS, 0, n));
            }
            takeCompleted();
        }
    }

    private byte[] hashFromSource(long offset, int length) throws IOException {
        MessageDigest pieceDigest = Sha1.newDigest();
        ByteBuffer buffer = readBuffer(length);
        for (long done = 0; done < length; ) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), length - done));
            int n = source.read(buffer, offset + done);
            if (n <= 0) {
                throw new IOException("written data ends at " + (offset + done) + ", expected a piece up to "
                        + (offset + length));
            }
            bytesReadBack += n;
            pieceDigest.update(buffer.flip());
            done += n;
        }
        return pieceDigest.digest();
    }

    /** Shared by chunks and {@link #finish}, which never run at once; no larger than asked, as most files are small. */
    private ByteBuffer readBuffer(long wanted) {
        int size = (int) Math.min(READ_BACK_CHUNK, wanted);
        if (readBuffer == null || readBuffer.capacity() < size) {
            readBuffer = ByteBuffer.allocate(Math.max(size, 4096));
        }
        return readBuffer;
    }

    private static MessageDigest copyOf(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-1 digest cannot be cloned", e);
        }
    }

    /**
     * The written bytes at the frontier when it was taken out, hashed into a copy of the running state.
     * Only {@link #hash} may run outside the caller's lock; it touches nothing the hasher shares.
     */
    static final class Chunk {
        private final Cursor cursor;
        private final long start;
        private final long end;
        private final long windowStart;
        private final Source source;
        private final ByteBuffer buffer;
        /** Writes noted while out that reach the bytes this chunk hashes or the piece it continues. */
        private final RangeSet touched = new RangeSet();
        private boolean hashed;

        private Chunk(Cursor cursor, long end, Source source, ByteBuffer buffer, int pieceLength) {
            this.cursor = cursor;
            this.start = cursor.position;
            this.end = end;
            this.windowStart = start - start % pieceLength;
            this.source = source;
            this.buffer = buffer;
        }

        long length() {
            return end - start;
        }

        /** Reads the chunk's bytes back and hashes them; the only call that may run outside the caller's lock. */
        void hash() throws IOException {
            while (cursor.position < end) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), end - cursor.position));
                int n = source.read(buffer, cursor.position);
                if (n <= 0) {
                    throw new IOException("written data ends at " + cursor.position + ", expected " + end + " bytes");
                }
                cursor.feed(buffer.flip());
            }
            hashed = true;
        }

        private void noteWrite(long offset, long writeEnd) {
            if (offset < end && writeEnd > windowStart) {
                touched.add(Math.max(offset, windowStart), Math.min(writeEnd, end));
            }
        }
    }

    /** Where hashing at the frontier stands: the position, the running digest of its piece, what it completed. */
    private static final class Cursor {
        private final int pieceLength;
        long position;
        MessageDigest digest;
        /** The digest no longer describes the bytes between the current piece's start and the position. */
        boolean stale;
        /** The hash of the partial piece at the position taken over from a base content, until that piece changes. */
        byte[] inheritedTail;
        /** Hashes of the pieces completed and not yet taken; null for a piece that must be read back. */
        final List<byte[]> completed = new ArrayList<>();

        Cursor(int pieceLength) {
            this.pieceLength = pieceLength;
            this.digest = Sha1.newDigest();
        }

        /** A copy to hash a chunk into; the completed pieces are always taken before a chunk goes out. */
        Cursor copy() {
            Cursor copy = new Cursor(pieceLength);
            copy.position = position;
            copy.digest = copyOf(digest);
            copy.stale = stale;
            copy.inheritedTail = inheritedTail;
            return copy;
        }

        /** Hashes {@code data} as the bytes at the position, completing pieces as boundaries are crossed. */
        void feed(ByteBuffer data) {
            while (data.hasRemaining()) {
                int n = (int) Math.min(pieceLength - position % pieceLength, data.remaining());
                if (stale) {
                    data.position(data.position() + n);
                } else {
                    int limit = data.limit();
                    data.limit(data.position() + n);
                    digest.update(data);
                    data.limit(limit);
                }
                position += n;
                inheritedTail = null;
                if (position % pieceLength == 0) {
                    completePiece(null);
                }
            }
        }

        void completePiece(byte[] knownHash) {
            completed.add(stale ? null : knownHash != null ? knownHash : digest.digest());
            digest.reset();
            stale = false;
            inheritedTail = null;
        }
    }
}
