package dev.delugefs.swarm;

import java.util.BitSet;
import java.util.stream.IntStream;

import bt.torrent.PieceStatistics;
import bt.torrent.selector.PieceSelector;

/**
 * Offers bt only the pieces someone is waiting for or reading ahead into, those a blocked read needs
 * first, and nothing while its torrent does not have the runtime's fetch turn. Offering nothing is also
 * how an incomplete torrent stops downloading: stopping it leaves it registered, and it never completes
 * when added again (bt #146, DESIGN §10).
 */
final class WantedPieceSelector implements PieceSelector {
    private final BitSet urgent = new BitSet();  // guarded by this
    private final BitSet wanted = new BitSet();  // guarded by this
    private volatile boolean active;

    void activate() {
        active = true;
    }

    void deactivate() {
        active = false;
    }

    /** The pieces that waiting reads need; they are offered before all others. */
    synchronized void setUrgent(BitSet pieces) {
        urgent.clear();
        urgent.or(pieces);
        wanted.or(pieces);
    }

    /** Pieces {@code from} to {@code to} (exclusive) are worth fetching once the urgent ones are in flight. */
    synchronized void want(int from, int to) {
        wanted.set(from, to);
    }

    /** Forgets pieces that are here, and returns whether anything is still wanted. */
    synchronized boolean retainMissing(BitSet verified) {
        urgent.andNot(verified);
        wanted.andNot(verified);
        return !wanted.isEmpty();
    }

    /** Nobody waits any more: whatever was wanted is left unfetched. */
    synchronized void forget() {
        urgent.clear();
        wanted.clear();
    }

    @Override
    public IntStream getNextPieces(BitSet relevantChunks, PieceStatistics pieceStatistics) {
        if (!active) {
            return IntStream.empty();
        }
        BitSet first;
        BitSet rest;
        synchronized (this) {
            first = (BitSet) urgent.clone();
            rest = (BitSet) wanted.clone();
        }
        first.and(relevantChunks);
        rest.and(relevantChunks);
        rest.andNot(first);
        return IntStream.concat(first.stream(), rest.stream());
    }
}
