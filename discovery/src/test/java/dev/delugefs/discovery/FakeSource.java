package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.PeerSet;

import java.util.Collection;

/** A membership source driven by the test, delivering events on the caller's thread. */
final class FakeSource implements Membership {
    private final PeerSet peers = new PeerSet(Runnable::run);
    boolean closed;

    void up(PeerInfo peer) {
        peers.report(this, peer);
    }

    void down(String nodeId) {
        peers.withdraw(this, nodeId);
    }

    @Override
    public Collection<PeerInfo> peers() {
        return peers.peers();
    }

    @Override
    public void addListener(MembershipListener listener) {
        peers.addListener(listener);
    }

    @Override
    public void close() {
        closed = true;
    }
}
