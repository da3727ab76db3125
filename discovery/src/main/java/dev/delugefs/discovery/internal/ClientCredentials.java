package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.client.session.ClientSession;

import java.security.KeyPair;

/** How a peer session logs in: as a member with the node key, or as {@code join} with the token's secret. */
public final class ClientCredentials {
    static final String MEMBER_USER = "member";

    private final KeyPair key;
    private final String secret;

    private ClientCredentials(KeyPair key, String secret) {
        this.key = key;
        this.secret = secret;
    }

    public static ClientCredentials member(KeyPair key) {
        return new ClientCredentials(key, null);
    }

    public static ClientCredentials join(String secret) {
        return new ClientCredentials(null, secret);
    }

    String username() {
        return key != null ? MEMBER_USER : PeerIdentity.JOIN;
    }

    /** Exactly one identity per session, so a join session never offers a key and vice versa. */
    void applyTo(ClientSession session) {
        if (key != null) {
            session.addPublicKeyIdentity(key);
        } else {
            session.addPasswordIdentity(secret);
        }
    }

    String refusal(HostPort address) {
        return key != null
                ? address + " refused our node key " + NodeKeys.fingerprintOf(key.getPublic())
                        + ": this node is not (or not yet) a member of the peer's volume"
                : address + " refused the join secret: the token is wrong, or was replaced on the member";
    }
}
