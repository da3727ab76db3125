package dev.delugefs.discovery;

import java.util.ArrayList;
import java.util.List;

/** Membership events as {@code up:<id>/changed:<id>/down:<id>}, for assertions. */
final class RecordingListener implements MembershipListener {
    final List<String> events = new ArrayList<>();

    @Override
    public synchronized void peerUp(PeerInfo peer) {
        events.add("up:" + peer.nodeId());
    }

    @Override
    public synchronized void peerChanged(PeerInfo peer) {
        events.add("changed:" + peer.nodeId());
    }

    @Override
    public synchronized void peerDown(PeerInfo peer) {
        events.add("down:" + peer.nodeId());
    }

    synchronized List<String> take() {
        List<String> out = List.copyOf(events);
        events.clear();
        return out;
    }

    synchronized List<String> snapshot() {
        return List.copyOf(events);
    }
}
