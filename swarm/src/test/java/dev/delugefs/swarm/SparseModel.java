package dev.delugefs.swarm;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.TreeMap;

/** The expected bytes of a huge sparse file, kept as written chunks, hashed piece by piece without a real file. */
final class SparseModel {
    private final long length;
    private final TreeMap<Long, byte[]> chunks = new TreeMap<>();

    SparseModel(long length) {
        this.length = length;
    }

    /** Chunks must not overlap. */
    SparseModel with(long offset, byte[] data) {
        chunks.put(offset, data.clone());
        return this;
    }

    byte[] pieces(int pieceLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeroHash = Reference.sha1(new byte[pieceLength]);
        for (long start = 0; start < length; start += pieceLength) {
            int size = (int) Math.min(pieceLength, length - start);
            Map.Entry<Long, byte[]> first = chunks.floorEntry(start);
            Map<Long, byte[]> candidates = chunks.subMap(first == null ? start : first.getKey(), start + size);
            byte[] piece = null;
            for (Map.Entry<Long, byte[]> chunk : candidates.entrySet()) {
                long from = Math.max(start, chunk.getKey());
                long to = Math.min(start + size, chunk.getKey() + chunk.getValue().length);
                if (from < to) {
                    piece = piece != null ? piece : new byte[size];
                    System.arraycopy(chunk.getValue(), (int) (from - chunk.getKey()), piece, (int) (from - start),
                            (int) (to - from));
                }
            }
            if (piece == null && size == pieceLength) {
                out.writeBytes(zeroHash);
            } else {
                out.writeBytes(Reference.sha1(piece != null ? piece : new byte[size]));
            }
        }
        return out.toByteArray();
    }
}
