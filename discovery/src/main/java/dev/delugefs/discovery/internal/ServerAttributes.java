package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.server.session.ServerSession;

/** Session attributes shared by the authenticators (writers) and the commands (readers). */
final class ServerAttributes {
    /**
     * Set by each authenticator call that accepts; the last accepted one is the identity that logged in,
     * because MINA stops asking once a signature (or password) succeeds.
     */
    static final AttributeKey<PeerIdentity> PEER = new AttributeKey<>();

    private ServerAttributes() {
    }

    static String remote(ServerSession session) {
        return String.valueOf(session.getClientAddress());
    }
}
