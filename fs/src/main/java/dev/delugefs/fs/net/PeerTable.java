package dev.delugefs.fs.net;

import dev.delugefs.discovery.PeerInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every peer this node has seen since it started, up or down, as last heard of: membership only knows
 * the peers that are up, and a user asking for status wants to see the ones that went away too.
 */
final class PeerTable {
    record Entry(PeerInfo info, boolean up) {
    }

    private final Map<String, Entry> peers = new ConcurrentHashMap<>();

    void up(PeerInfo peer) {
        peers.put(peer.nodeId(), new Entry(peer, true));
    }

    void down(PeerInfo peer) {
        peers.merge(peer.nodeId(), new Entry(peer, false), (old, gone) -> new Entry(old.info(), false));
    }

    List<Entry> entries() {
        List<Entry> all = new ArrayList<>(peers.values());
        all.sort(Comparator.comparing(e -> e.info().nodeId()));
        return all;
    }
}
