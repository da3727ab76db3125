package dev.delugefs.swarm;

import java.util.BitSet;
import java.util.stream.IntStream;

import bt.torrent.PieceStatistics;
import bt.torrent.selector.PieceSelector;

/**
 * Lowest pieces first (reads tend to start at the beginning), or nothing while paused. Pausing is how an
 * incomplete torrent stops downloading: stopping it leaves it registered and it never completes when
 * added again (bt #146, DESIGN §10).
 */
final class PausableSelector implements PieceSelector {
    private volatile boolean paused;

    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    @Override
    public IntStream getNextPieces(BitSet relevantChunks, PieceStatistics pieceStatistics) {
        return paused ? IntStream.empty() : relevantChunks.stream();
    }
}
