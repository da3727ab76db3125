package dev.delugefs.swarm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** Piece hashes and info-hashes computed the plain way, independently of the code under test. */
final class Reference {
    private Reference() {
    }

    static byte[] pieces(byte[] data, int pieceLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int start = 0; start < data.length; start += pieceLength) {
            out.writeBytes(sha1(Arrays.copyOfRange(data, start, Math.min(data.length, start + pieceLength))));
        }
        return out.toByteArray();
    }

    /** Reads the whole file piece by piece. */
    static byte[] pieces(Path file, int pieceLength) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] piece;
            while ((piece = in.readNBytes(pieceLength)).length > 0) {
                out.writeBytes(sha1(piece));
            }
        }
        return out.toByteArray();
    }

    /** The info-hash, with the info dictionary bencoded by hand. */
    static String infoHash(long length, int pieceLength, byte[] pieces) {
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        info.writeBytes(("d6:lengthi" + length + "e4:name4:data12:piece lengthi" + pieceLength + "e6:pieces"
                + pieces.length + ":").getBytes(StandardCharsets.US_ASCII));
        info.writeBytes(pieces);
        info.write('e');
        return HexFormat.of().formatHex(sha1(info.toByteArray()));
    }

    static ContentInfo info(byte[] data, int pieceLength) {
        byte[] pieces = pieces(data, pieceLength);
        return new ContentInfo(infoHash(data.length, pieceLength, pieces), data.length, pieceLength, pieces);
    }

    static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] randomBytes(long seed, int length) {
        byte[] data = new byte[length];
        new java.util.Random(seed).nextBytes(data);
        return data;
    }
}
