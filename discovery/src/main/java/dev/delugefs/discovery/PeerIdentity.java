package dev.delugefs.discovery;

/**
 * Who is on the other end of a channel session, as authenticated: a member's key fingerprint, or
 * {@link #JOIN} for a newcomer that proved it holds the join secret.
 */
public record PeerIdentity(String id, String remoteAddress) {
    public static final String JOIN = "join";

    public static PeerIdentity member(String keyFingerprint, String remoteAddress) {
        return new PeerIdentity(keyFingerprint, remoteAddress);
    }

    public static PeerIdentity joining(String remoteAddress) {
        return new PeerIdentity(JOIN, remoteAddress);
    }

    public boolean isJoin() {
        return JOIN.equals(id);
    }
}
