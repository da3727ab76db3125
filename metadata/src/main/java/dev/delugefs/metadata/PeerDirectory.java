package dev.delugefs.metadata;

import dev.delugefs.discovery.PeerSession;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The peers this node syncs with now, each with its one channel session; asked afresh on every use, also on
 * the committer's thread after each commit, so both methods must answer from memory without blocking.
 */
public interface PeerDirectory {

    /** A peer known by its node id, reachable through {@code session}. */
    record PeerLink(String nodeId, PeerSession session) {
        public PeerLink {
            ChannelFetcher.trackingRef(nodeId);
            Objects.requireNonNull(session, "session");
        }
    }

    List<PeerLink> peers();

    Optional<PeerLink> peer(String nodeId);
}
