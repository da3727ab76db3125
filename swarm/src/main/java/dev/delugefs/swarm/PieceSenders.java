package dev.delugefs.swarm;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import bt.metainfo.TorrentId;
import bt.net.Peer;
import bt.protocol.Piece;
import bt.torrent.annotation.Consumes;
import bt.torrent.messaging.MessageContext;

/**
 * Remembers which peer sent the blocks of each piece being downloaded (bt asks one peer for a whole
 * piece), so that a piece failing its hash can be held against its sender: bt itself only downloads it
 * again, from the same peer as likely as from any other. Public only because bt calls its {@code @Consumes}
 * method through a public lookup.
 */
public final class PieceSenders {
    private record Key(TorrentId torrent, int piece) {
    }

    private final Map<Key, InetSocketAddress> senders = new ConcurrentHashMap<>();

    PieceSenders() {
    }

    /** A bt messaging agent: called for every piece message received. */
    @Consumes
    public void consume(Piece piece, MessageContext context) {
        Peer peer = context.getPeer();
        senders.put(new Key(context.getTorrentId(), piece.getPieceIndex()),
                new InetSocketAddress(peer.getInetAddress(), peer.getPort()));
    }

    /** The peer that sent the last blocks of a piece, forgotten now; null if none is known. */
    InetSocketAddress take(TorrentId torrent, int piece) {
        return senders.remove(new Key(torrent, piece));
    }
}
