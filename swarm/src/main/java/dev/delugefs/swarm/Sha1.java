package dev.delugefs.swarm;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** SHA-1, the hash BitTorrent v1 uses for pieces and for the info-hash. */
final class Sha1 {
    static final int LENGTH = 20;

    private static final Map<Integer, byte[]> ZERO_PIECES = new ConcurrentHashMap<>();

    private Sha1() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime must provide SHA-1", e);
        }
    }

    static byte[] of(byte[] data) {
        return newDigest().digest(data);
    }

    /**
     * The hash of {@code length} zero bytes. Holes of sparse files hash to this, so sealing a mostly
     * empty multi-gigabyte file need not read or hash its holes.
     */
    static byte[] ofZeros(int length) {
        return ZERO_PIECES.computeIfAbsent(length, n -> {
            MessageDigest digest = newDigest();
            byte[] zeros = new byte[Math.min(n, 1 << 16)];
            for (int left = n; left > 0; left -= zeros.length) {
                digest.update(zeros, 0, Math.min(left, zeros.length));
            }
            return digest.digest();
        }).clone();
    }
}
