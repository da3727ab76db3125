package dev.delugefs.swarm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import bt.data.ChunkDescriptor;
import bt.data.ChunkVerifier;
import bt.data.LocalBitfield;

/**
 * Fast resume, and the count of pieces that failed their hash. bt re-hashes all local data whenever a
 * torrent starts (seconds for gigabytes, DESIGN §10); content we sealed was hashed as it was written,
 * so it is trusted whole. Partial content re-hashes only the pieces its bitmap claims.
 */
final class ResumingChunkVerifier implements ChunkVerifier {
    private final ChunkVerifier hashing;
    private final AtomicLong hashFailures = new AtomicLong();

    private volatile java.util.function.ObjLongConsumer<String> failed = (contentId, offset) -> { };

    ResumingChunkVerifier(ChunkVerifier hashing) {
        this.hashing = hashing;
    }

    /** Told the content and the offset of each piece received that failed its hash. */
    void onHashFailure(java.util.function.ObjLongConsumer<String> listener) {
        this.failed = listener;
    }

    long hashFailures() {
        return hashFailures.get();
    }

    @Override
    public boolean verify(List<ChunkDescriptor> chunks, LocalBitfield bitfield) {
        BlockUnit unit = chunks.isEmpty() ? null : unitOf(chunks.get(0));
        if (unit == null) {
            return hashing.verify(chunks, bitfield);
        }
        PieceBitmap bitmap = unit.bitmap();
        if (bitmap == null) {
            for (int piece = 0; piece < chunks.size(); piece++) {
                bitfield.markLocalPieceVerified(piece);
            }
            return true;
        }
        BitSet claimed = bitmap.verified();
        try {
            for (int piece = claimed.nextSetBit(0); piece >= 0; piece = claimed.nextSetBit(piece + 1)) {
                if (hashing.verifyIfPresent(chunks.get(piece))) {
                    bitfield.markLocalPieceVerified(piece);
                } else {
                    bitmap.clear(piece);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("updating the bitmap of " + unit.contentId(), e);
        }
        return bitfield.getPiecesRemaining() == 0;
    }

    /** A piece just received: always hashed, and a mismatch counted. */
    @Override
    public boolean verify(ChunkDescriptor chunk) {
        boolean verified = hashing.verify(chunk);
        if (!verified) {
            hashFailures.incrementAndGet();
            chunk.getData().visitUnits((unit, offset, limit) -> {
                if (unit instanceof BlockUnit ours) {
                    failed.accept(ours.contentId(), offset);
                }
                return false;
            });
        }
        return verified;
    }

    @Override
    public boolean verifyIfPresent(ChunkDescriptor chunk) {
        return hashing.verifyIfPresent(chunk);
    }

    private static BlockUnit unitOf(ChunkDescriptor chunk) {
        BlockUnit[] found = new BlockUnit[1];
        chunk.getData().visitUnits((unit, offset, limit) -> {
            if (unit instanceof BlockUnit ours) {
                found[0] = ours;
            }
            return false;
        });
        return found[0];
    }
}
