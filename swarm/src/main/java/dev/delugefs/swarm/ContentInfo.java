package dev.delugefs.swarm;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What names and verifies a content: its length, its piece size and the SHA-1 of every piece.
 *
 * <p>{@code id} is the BitTorrent v1 info-hash of the single-file info dictionary
 * {@code {length, name: "data", piece length, pieces}}, as 40 lowercase hex digits. Equal bytes cut into
 * equal pieces therefore get equal ids on every node, and the {@code .torrent} can be rebuilt from these
 * four fields alone. The last piece may be short; an empty content has no pieces.
 *
 * <p>A value whose id does not match its fields cannot be constructed, so an id read back from a damaged
 * record is caught here rather than by a swarm that never completes.
 */
public record ContentInfo(String id, long length, int pieceLength, byte[] pieces) {

    /** The file name inside the torrent; fixed, so that the name of a path never changes an id. */
    static final String TORRENT_NAME = "data";

    private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{40}");

    public ContentInfo {
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        if (pieceLength <= 0) {
            throw new IllegalArgumentException("piece length must be positive: " + pieceLength);
        }
        long pieceCount = (length + pieceLength - 1) / pieceLength;
        if (pieces == null || pieces.length != pieceCount * Sha1.LENGTH) {
            throw new IllegalArgumentException("expected " + pieceCount + " piece hashes of " + Sha1.LENGTH
                    + " bytes for " + length + " bytes in pieces of " + pieceLength + ", got "
                    + (pieces == null ? "none" : pieces.length + " bytes"));
        }
        pieces = pieces.clone();
        if (id == null || !HEX_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("content id must be 40 lowercase hex digits: " + id);
        }
        String expected = infoHash(length, pieceLength, pieces);
        if (!expected.equals(id)) {
            throw new IllegalArgumentException("content id " + id + " does not match its pieces (" + expected + ")");
        }
    }

    /** Names the content described by these fields. */
    public static ContentInfo of(long length, int pieceLength, byte[] pieces) {
        return new ContentInfo(infoHash(length, pieceLength, pieces), length, pieceLength, pieces);
    }

    @Override
    public byte[] pieces() {
        return pieces.clone();
    }

    public int pieceCount() {
        return pieces.length / Sha1.LENGTH;
    }

    /** The SHA-1 of piece {@code index}. */
    public byte[] pieceHash(int index) {
        return Arrays.copyOfRange(pieces, index * Sha1.LENGTH, (index + 1) * Sha1.LENGTH);
    }

    /** The info dictionary whose bencoding is hashed into the id; shared with {@link TorrentFile}. */
    Map<String, Object> infoDictionary() {
        return infoDictionary(length, pieceLength, pieces);
    }

    private static Map<String, Object> infoDictionary(long length, int pieceLength, byte[] pieces) {
        return Map.of("length", length, "name", TORRENT_NAME, "piece length", pieceLength, "pieces", pieces);
    }

    private static String infoHash(long length, int pieceLength, byte[] pieces) {
        return HexFormat.of().formatHex(Sha1.of(Bencode.encode(infoDictionary(length, pieceLength, pieces))));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ContentInfo that
                && id.equals(that.id) && length == that.length && pieceLength == that.pieceLength
                && Arrays.equals(pieces, that.pieces);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "ContentInfo[" + id + ", " + length + " bytes, " + pieceCount() + " pieces of " + pieceLength + "]";
    }
}
