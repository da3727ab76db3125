package dev.delugefs.swarm;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import bt.metainfo.TorrentId;
import bt.net.InetPeer;
import bt.peer.PeerSource;
import bt.peer.PeerSourceFactory;
import bt.net.Peer;

/** Peers of each torrent as our callers name them: the only place bt learns peers from. */
final class MemberPeerSources implements PeerSourceFactory {
    private final ConcurrentHashMap<TorrentId, Set<InetSocketAddress>> peers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TorrentId, Set<InetSocketAddress>> banned = new ConcurrentHashMap<>();

    void add(TorrentId torrent, Collection<InetSocketAddress> addresses) {
        Set<InetSocketAddress> known = peers.computeIfAbsent(torrent, t -> ConcurrentHashMap.newKeySet());
        Set<InetSocketAddress> refused = banned.getOrDefault(torrent, Set.of());
        for (InetSocketAddress address : addresses) {
            if (!refused.contains(address)) {
                known.add(address);
            }
        }
    }

    /** A peer that sent corrupt pieces of {@code torrent}: never named for it again. */
    void ban(TorrentId torrent, InetSocketAddress address) {
        banned.computeIfAbsent(torrent, t -> ConcurrentHashMap.newKeySet()).add(address);
        Set<InetSocketAddress> known = peers.get(torrent);
        if (known != null) {
            known.remove(address);
        }
    }

    @Override
    public PeerSource getPeerSource(TorrentId torrent) {
        return new PeerSource() {
            @Override
            public boolean update() {
                // always "updated": the set is in memory, and bt only reads peers from a source that says so
                return true;
            }

            @Override
            public Collection<Peer> getPeers() {
                Set<InetSocketAddress> known = peers.getOrDefault(torrent, Set.of());
                // bt removes the peers it has seen from what we return: a fresh, mutable list every time
                List<Peer> result = new ArrayList<>(known.size());
                known.forEach(a -> result.add(InetPeer.build(a.getAddress(), a.getPort())));
                return result;
            }
        };
    }
}
