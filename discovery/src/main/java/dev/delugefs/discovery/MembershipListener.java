package dev.delugefs.discovery;

/**
 * News about the peers of a volume. Calls come from discovery threads, one at a time per membership, and
 * must not block: hand slow work to your own executor.
 */
public interface MembershipListener {

    default void peerUp(PeerInfo peer) {
    }

    /** The peer is still up but announced something new (head, free space, addresses). */
    default void peerChanged(PeerInfo peer) {
    }

    default void peerDown(PeerInfo peer) {
    }
}
