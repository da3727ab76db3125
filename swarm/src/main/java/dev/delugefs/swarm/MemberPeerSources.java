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

    void add(TorrentId torrent, Collection<InetSocketAddress> addresses) {
        peers.computeIfAbsent(torrent, t -> ConcurrentHashMap.newKeySet()).addAll(addresses);
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
