package dev.delugefs.discovery;

import java.util.Collection;
import java.util.Optional;

/** The peers of this node's volume that are up now, never including this node itself. */
public interface Membership extends AutoCloseable {

    Collection<PeerInfo> peers();

    /** How peers are learned here, in a word ({@code peer}, {@code record}, {@code mdns}, {@code inbound}). */
    default String name() {
        return getClass().getSimpleName();
    }

    default Optional<PeerInfo> peer(String nodeId) {
        return peers().stream().filter(p -> p.nodeId().equals(nodeId)).findFirst();
    }

    /** The listener is told peerUp for every peer already up, then about changes. */
    void addListener(MembershipListener listener);

    @Override
    void close();
}
