package dev.delugefs.swarm;

import java.util.Arrays;

/** A growable array of 20-byte piece hashes, laid out as BitTorrent's {@code pieces} string. Not thread-safe. */
final class PieceHashes {
    private byte[] bytes = new byte[64 * Sha1.LENGTH];
    private int count;

    int count() {
        return count;
    }

    void append(byte[] hash) {
        if ((count + 1) * Sha1.LENGTH > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, (count + 1) * Sha1.LENGTH));
        }
        set(count++, hash);
    }

    void set(int index, byte[] hash) {
        System.arraycopy(hash, 0, bytes, index * Sha1.LENGTH, Sha1.LENGTH);
    }

    void truncate(int newCount) {
        count = Math.min(count, newCount);
    }

    /** All hashes followed by {@code last}, if not null. */
    byte[] toArray(byte[] last) {
        byte[] all = Arrays.copyOf(bytes, (count + (last == null ? 0 : 1)) * Sha1.LENGTH);
        if (last != null) {
            System.arraycopy(last, 0, all, count * Sha1.LENGTH, Sha1.LENGTH);
        }
        return all;
    }
}
