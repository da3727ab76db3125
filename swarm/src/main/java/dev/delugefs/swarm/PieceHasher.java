package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.BitSet;

/**
 * The piece hashes of one content while it is written (DESIGN §5.2).
 *
 * <p>The <em>frontier</em> is the length of the prefix already fed to the hashes: every piece below it is
 * hashed (or marked stale), and the running digest holds the bytes of the piece it is in. Data written
 * at the frontier is hashed from the caller's buffer, so an in-order writer never has its data read back.
 * Anything else is only noted: overwrites below the frontier make the touched pieces stale, writes past
 * it are remembered as ranges, and the frontier reads such a range back (still in the page cache) as soon
 * as in-order writing reaches it, so one reordered write does not push the rest of the file to the seal.
 * {@link #finish} reads back what is still unknown; holes hash as zeros without being read.
 *
 * <p>Not thread-safe: the writer serialises calls.
 */
final class PieceHasher {
    /** Past this many separate ranges beyond the frontier, stop tracking them and read it all back at the end. */
    static final int MAX_TRACKED_RANGES = 1024;

    private static final int READ_BACK_CHUNK = 256 * 1024;
    private static final byte[] ZEROS = new byte[64 * 1024];
    private static final byte[] UNKNOWN = new byte[Sha1.LENGTH];

    /** Reads bytes back from the written data; may return fewer than asked, or -1 at the end. */
    interface Source {
        int read(ByteBuffer dst, long offset) throws IOException;
    }

    private final int pieceLength;
    private final Source source;
    private final MessageDigest digest = Sha1.newDigest();
    /** Hashes of the pieces below the frontier's piece. */
    private final PieceHashes complete = new PieceHashes();
    /** Pieces of {@link #complete} overwritten since they were hashed. */
    private final BitSet stale = new BitSet();
    /** Ranges beyond the frontier that may hold written data; everything else there is a hole. */
    private final RangeSet ahead = new RangeSet();
    private boolean aheadUntracked;
    private long frontier;
    /** The digest no longer describes the bytes between the frontier's piece start and the frontier. */
    private boolean currentStale;
    /** The hash of the partial piece at the frontier taken over from a base content, until that piece changes. */
    private byte[] inheritedTail;
    private long bytesReadBack;
    private ByteBuffer readBuffer;

    PieceHasher(int pieceLength, Source source) {
        if (pieceLength <= 0) {
            throw new IllegalArgumentException("piece length must be positive: " + pieceLength);
        }
        this.pieceLength = pieceLength;
        this.source = source;
    }

    /** A hasher for a copy of {@code base}, trusting its hashes for every piece not touched later. */
    static PieceHasher continuing(ContentInfo base, Source source) {
        PieceHasher hasher = new PieceHasher(base.pieceLength(), source);
        int whole = (int) (base.length() / base.pieceLength());
        for (int i = 0; i < whole; i++) {
            hasher.complete.append(base.pieceHash(i));
        }
        hasher.frontier = base.length();
        if (whole < base.pieceCount()) {
            // Only the final hash of the short last piece is known, not a digest that could be extended.
            hasher.currentStale = true;
            hasher.inheritedTail = base.pieceHash(whole);
        }
        return hasher;
    }

    long frontier() {
        return frontier;
    }

    long bytesReadBack() {
        return bytesReadBack;
    }

    /**
     * Notes a write of {@code [offset, end)} that does not reach the frontier. Returns false, noting
     * nothing, if it does: such a write must be passed to {@link #written} once it is on disk.
     * Writes noted here may go to disk after this call, in any order, as long as no call to
     * {@link #written}, {@link #truncated} or {@link #finish} runs before they are on disk.
     */
    boolean recordAway(long offset, long end) {
        if (offset <= frontier && end > frontier) {
            return false;
        }
        mayHaveChanged(offset, end);
        return true;
    }

    /** Marks {@code [offset, end)} as unknown: to be read back rather than trusted. Always safe. */
    void mayHaveChanged(long offset, long end) {
        markStale(offset, Math.min(end, frontier));
        if (end > frontier) {
            recordAhead(Math.max(offset, frontier), end);
        }
    }

    /** Takes in {@code data}, which is now on disk at {@code offset}. */
    void written(ByteBuffer data, long offset) throws IOException {
        long end = offset + data.remaining();
        if (recordAway(offset, end)) {
            return;
        }
        markStale(offset, frontier);
        ByteBuffer rest = data.duplicate();
        rest.position(rest.position() + (int) (frontier - offset));
        feed(rest);
        catchUp();
    }

    void truncated(long size) {
        if (size > frontier) {
            if (!aheadUntracked) {
                ahead.clipTo(size);
            }
            return;
        }
        ahead.clear();
        aheadUntracked = false;
        if (size == frontier) {
            return;
        }
        int kept = (int) (size / pieceLength);
        complete.truncate(kept);
        stale.clear(kept, Integer.MAX_VALUE);
        frontier = size;
        digest.reset();
        inheritedTail = null;
        currentStale = size % pieceLength != 0;
    }

    /**
     * The {@code pieces} of the content of length {@code size}. Reads back only what was not seen being
     * written in order. Leaves the hasher consistent, so a failed seal may be retried.
     */
    byte[] finish(long size) throws IOException {
        if (size < frontier) {
            throw new IllegalStateException("size " + size + " is below the hashed prefix " + frontier);
        }
        while (frontier < size) {
            long covered = aheadUntracked ? size : ahead.coveredFrom(frontier);
            if (covered > frontier) {
                readBack(Math.min(covered, size));
            } else {
                feedZeros(Math.min(ahead.nextStartAfter(frontier), size));
            }
        }
        for (int i = stale.nextSetBit(0); i >= 0; i = stale.nextSetBit(i + 1)) {
            complete.set(i, hashFromSource((long) i * pieceLength, pieceLength));
            stale.clear(i);
        }
        long lastStart = frontier - frontier % pieceLength;
        if (lastStart == frontier) {
            return complete.toArray(null);
        }
        byte[] last;
        if (!currentStale) {
            last = cloneDigest().digest();
        } else if (inheritedTail != null) {
            last = inheritedTail;
        } else {
            last = hashFromSource(lastStart, (int) (frontier - lastStart));
        }
        return complete.toArray(last);
    }

    private void markStale(long from, long to) {
        if (from >= to) {
            return;
        }
        long currentStart = frontier - frontier % pieceLength;
        if (to > currentStart) {
            currentStale = true;
            inheritedTail = null;
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

    /** Hashes {@code data} as the bytes at the frontier, completing pieces as boundaries are crossed. */
    private void feed(ByteBuffer data) {
        while (data.hasRemaining()) {
            int n = (int) Math.min(pieceLength - frontier % pieceLength, data.remaining());
            if (currentStale) {
                data.position(data.position() + n);
            } else {
                int limit = data.limit();
                data.limit(data.position() + n);
                digest.update(data);
                data.limit(limit);
            }
            frontier += n;
            inheritedTail = null;
            if (frontier % pieceLength == 0) {
                completePiece(null);
            }
        }
    }

    private void completePiece(byte[] knownHash) {
        if (currentStale) {
            stale.set(complete.count());
            complete.append(UNKNOWN);
        } else {
            complete.append(knownHash != null ? knownHash : digest.digest());
        }
        digest.reset();
        currentStale = false;
        inheritedTail = null;
    }

    /** Reads back the written range the frontier has run into, if any. */
    private void catchUp() throws IOException {
        if (!aheadUntracked) {
            long covered = ahead.coveredFrom(frontier);
            if (covered > frontier) {
                readBack(covered);
            }
        }
    }

    private void readBack(long until) throws IOException {
        ByteBuffer buffer = readBuffer();
        while (frontier < until) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), until - frontier));
            int n = source.read(buffer, frontier);
            if (n <= 0) {
                throw new IOException("written data ends at " + frontier + ", expected " + until + " bytes");
            }
            bytesReadBack += n;
            feed(buffer.flip());
        }
    }

    /** Advances over a hole: whole pieces take the precomputed zero hash, partial ones are fed zeros. */
    private void feedZeros(long until) {
        byte[] zeroPiece = null;
        while (frontier < until) {
            if (frontier % pieceLength == 0 && until - frontier >= pieceLength && !currentStale) {
                zeroPiece = zeroPiece != null ? zeroPiece : Sha1.ofZeros(pieceLength);
                frontier += pieceLength;
                completePiece(zeroPiece);
            } else {
                long toBoundary = pieceLength - frontier % pieceLength;
                int n = (int) Math.min(Math.min(ZEROS.length, until - frontier), toBoundary);
                feed(ByteBuffer.wrap(ZEROS, 0, n));
            }
        }
    }

    private byte[] hashFromSource(long offset, int length) throws IOException {
        MessageDigest pieceDigest = Sha1.newDigest();
        ByteBuffer buffer = readBuffer();
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

    private ByteBuffer readBuffer() {
        if (readBuffer == null) {
            readBuffer = ByteBuffer.allocate(READ_BACK_CHUNK);
        }
        return readBuffer;
    }

    private MessageDigest cloneDigest() {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-1 digest cannot be cloned", e);
        }
    }
}
