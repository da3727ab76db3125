package dev.delugefs.swarm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The node's content-addressed store: {@code ROOT/blocks/<first two hex digits>/<id>}, read-only once
 * sealed, and {@code ROOT/tmp/} for contents still being written.
 *
 * <p>One store per root and process: opening a root discards whatever was being written when the
 * previous owner stopped, as a file open at a crash is lost on any filesystem.
 */
public interface BlockStore extends Closeable {

    /** Smallest accepted piece length: one BitTorrent request block. */
    int MIN_PIECE_LENGTH = 16 * 1024;

    /** Largest accepted piece length; BitTorrent clients refuse much larger pieces. */
    int MAX_PIECE_LENGTH = 64 * 1024 * 1024;

    /** Opens (creating if needed) the store under {@code root} and deletes the leftovers in {@code root/tmp}. */
    static BlockStore open(Path root) throws IOException {
        return FileBlockStore.open(root);
    }

    /**
     * Starts a new, empty content.
     *
     * @param pieceLength a power of two from {@link #MIN_PIECE_LENGTH} to {@link #MAX_PIECE_LENGTH}
     */
    ContentWriter create(int pieceLength) throws IOException;

    /**
     * Starts a writable copy of stored content; pieces never touched keep {@code base}'s hashes, so
     * sealing a copy with a small change reads back only the pieces that changed.
     *
     * @throws java.nio.file.NoSuchFileException if {@code base} is not stored complete here
     */
    ContentWriter copyOf(ContentInfo base) throws IOException;

    /**
     * Starts a writable copy of {@code base} whose bytes are not here: the temp file is sparse, and its
     * pieces read as zeros until the caller writes them. The caller must write every piece it does not
     * overwrite with {@code base}'s bytes before sealing: untouched pieces keep {@code base}'s hashes.
     */
    ContentWriter sparseCopyOf(ContentInfo base) throws IOException;

    /** Whether the complete content is stored here. */
    boolean has(String contentId);

    /** @throws java.nio.file.NoSuchFileException if the content is not stored complete here */
    ContentReader open(String contentId) throws IOException;

    /**
     * Forces stored content and its directory entries to the device, for an fsync(2) of a file that was
     * sealed earlier without that (close does not flush the device).
     *
     * @throws java.nio.file.NoSuchFileException if the content is not stored complete here
     */
    void force(String contentId) throws IOException;

    /**
     * Complete content stored here, each with the last time it was sealed or a seal found it already
     * stored: content a record is about to name is younger than any sensible retention window.
     */
    Map<String, Instant> stored() throws IOException;

    /**
     * Reads stored content whole and answers which of its pieces no longer match their hashes (bits that
     * rotted on the disk, or a file changed behind the store's back); empty if it is intact.
     *
     * @throws java.nio.file.NoSuchFileException if the content is not stored complete here
     */
    java.util.BitSet damagedPieces(ContentInfo content) throws IOException;

    /**
     * Turns stored content with damaged pieces back into partial content (DESIGN §3) whose other pieces
     * are kept: it is no longer complete, and a fetch brings only the damaged ones. Whoever serves the
     * content must have let go of it first.
     */
    void reopenDamaged(ContentInfo content, java.util.BitSet damaged) throws IOException;

    /**
     * The pieces of content that are here and verified: all of complete content, the bitmap's of partial.
     *
     * @throws java.nio.file.NoSuchFileException if the content is neither complete nor partial here
     */
    java.util.BitSet verifiedPieces(ContentInfo content) throws IOException;

    /**
     * Reads partial content (or complete); only its {@link #verifiedPieces} hold its bytes.
     *
     * @throws java.nio.file.NoSuchFileException if the content is neither complete nor partial here
     */
    ContentReader openPartial(String contentId) throws IOException;

    /**
     * Makes empty partial content (a sparse file and a bitmap with no piece), to fetch pieces into with
     * {@link #writePiece}; nothing if the content is here already, complete or partial.
     */
    void startPartial(ContentInfo content) throws IOException;

    /**
     * Stores one piece of partial content fetched without the swarm, if it matches its hash, and makes
     * the content complete once every piece is in. Writers of one content take turns; no torrent may be
     * fetching it.
     *
     * @return false if the bytes do not match the piece's hash (nothing is written)
     */
    boolean writePiece(ContentInfo content, int piece, byte[] bytes) throws IOException;

    /**
     * Content partly fetched here (pieces with a bitmap, DESIGN §3), each with the last time a piece of it
     * arrived. Partial content is not a copy: it is neither in {@link #stored()} nor {@link #has}.
     */
    Map<String, Instant> partial() throws IOException;

    /** Deletes stored content (complete or partial); false if there was none. */
    boolean delete(String contentId) throws IOException;

    /** Bytes held under {@code blocks/} (apparent sizes). */
    long storedBytes() throws IOException;

    /** Bytes held under {@code blocks/} and {@code tmp/}: sealed content and content being written. */
    long usedBytes() throws IOException;

    /** Aborts writers still open; readers stay usable until closed. */
    @Override
    void close() throws IOException;
}
