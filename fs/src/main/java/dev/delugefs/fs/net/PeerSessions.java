package dev.delugefs.fs.net;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.InboundPeers;
import dev.delugefs.discovery.PeerInfo;
import dev.delugefs.discovery.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one channel session to each peer, following the route membership chose: a session is replaced when
 * the peer's addresses change (it restarted elsewhere, or is now reached through its reverse link), so the
 * old route is not used again. A session over a reverse link reaches the peer's other ports through it.
 */
final class PeerSessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerSessions.class);

    private record Held(PeerInfo route, PeerSession session) {
    }

    private final ChannelClient client;
    private final AuthorizedKeys members;
    private final InboundPeers inbound;
    private final Map<String, Held> sessions = new ConcurrentHashMap<>();

    PeerSessions(ChannelClient client, AuthorizedKeys members, InboundPeers inbound) {
        this.client = client;
        this.members = members;
        this.inbound = inbound;
    }

    PeerSession get(PeerInfo peer) {
        PeerSession[] stale = new PeerSession[1];
        Held held = sessions.compute(peer.nodeId(), (id, existing) -> {
            if (existing != null && existing.route().addresses().equals(peer.addresses())) {
                return existing;
            }
            if (existing != null) {
                stale[0] = existing.session();
            }
            return new Held(peer, open(peer));
        });
        if (stale[0] != null) {
            log.debug("peer {} moved to {}; closing the session to its old route", peer.shortId(), peer.addresses());
            closeQuietly(stale[0]);
        }
        return held.session();
    }

    /** Whether the route in use to this peer is its reverse link, not a connection we can make ourselves. */
    boolean throughReverseLink(PeerInfo peer) {
        return inbound.link(peer.nodeId())
                .map(link -> List.of(link.channel()).equals(peer.addresses()))
                .orElse(false);
    }

    void drop(String nodeId) {
        Held gone = sessions.remove(nodeId);
        if (gone != null) {
            closeQuietly(gone.session());
        }
    }

    private PeerSession open(PeerInfo peer) {
        var link = inbound.link(peer.nodeId()).filter(l -> List.of(l.channel()).equals(peer.addresses()));
        if (link.isPresent()) {
            InboundPeers.Link l = link.get();
            return client.anyMember(members, peer.addresses(), l::port);
        }
        return client.anyMember(members, peer.addresses());
    }

    @Override
    public void close() {
        sessions.values().forEach(h -> closeQuietly(h.session()));
        sessions.clear();
    }

    private static void closeQuietly(PeerSession session) {
        try {
            session.close();
        } catch (RuntimeException e) {
            log.debug("closing a peer session: {}", e.toString());
        }
    }
}
