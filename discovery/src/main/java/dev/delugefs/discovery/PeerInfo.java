package dev.delugefs.discovery;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one node says about itself: how to reach it ({@code addresses} for the channel, {@code btPort} for
 * the swarm), its failure domain ({@code hostId}: nodes on one machine share it), and the state others
 * schedule by ({@code head} of its namespace, {@code freeBytes}). {@code lastSeen} is when we last heard it.
 */
public record PeerInfo(String nodeId, String volumeId, List<HostPort> addresses, int btPort, String hostId,
                       String head, long freeBytes, Instant lastSeen) {

    public PeerInfo {
        requireText(nodeId, "nodeId");
        requireText(volumeId, "volumeId");
        addresses = List.copyOf(addresses);
        if (btPort < 0 || btPort > 65535) {
            throw new IllegalArgumentException("bt port out of range: " + btPort);
        }
        hostId = Objects.requireNonNullElse(hostId, "");
        head = Objects.requireNonNullElse(head, "");
        Objects.requireNonNull(lastSeen, "lastSeen");
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is empty");
        }
    }

    public PeerInfo withState(String newHead, long newFreeBytes) {
        return new PeerInfo(nodeId, volumeId, addresses, btPort, hostId, newHead, newFreeBytes, lastSeen);
    }

    public PeerInfo withAddresses(List<HostPort> newAddresses) {
        return new PeerInfo(nodeId, volumeId, newAddresses, btPort, hostId, head, freeBytes, lastSeen);
    }

    public PeerInfo withBtPort(int newBtPort) {
        return new PeerInfo(nodeId, volumeId, addresses, newBtPort, hostId, head, freeBytes, lastSeen);
    }

    public PeerInfo seenAt(Instant when) {
        return new PeerInfo(nodeId, volumeId, addresses, btPort, hostId, head, freeBytes, when);
    }

    /** Equal in everything the peer says, ignoring when we heard it: a mere refresh is no change. */
    public boolean sameAs(PeerInfo other) {
        return other != null && seenAt(Instant.EPOCH).equals(other.seenAt(Instant.EPOCH));
    }

    /** The first eight digits, enough to tell nodes apart in logs and mDNS instance names. */
    public String shortId() {
        return nodeId.length() <= 8 ? nodeId : nodeId.substring(0, 8);
    }
}
