package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.JoinToken;
import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.server.auth.password.PasswordAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.function.Supplier;

/** Password login for the {@code join} user only; the password is the join token's secret. */
public final class JoinPasswordAuthenticator implements PasswordAuthenticator {
    private static final Logger LOG = LoggerFactory.getLogger(JoinPasswordAuthenticator.class);

    private final Supplier<Optional<String>> acceptedSecretHash;

    public JoinPasswordAuthenticator(Supplier<Optional<String>> acceptedSecretHash) {
        this.acceptedSecretHash = acceptedSecretHash;
    }

    @Override
    public boolean authenticate(String username, String password, ServerSession session) {
        String remote = ServerAttributes.remote(session);
        if (!PeerIdentity.JOIN.equals(username)) {
            LOG.warn("refused password login for user '{}' from {}: members log in with their node key",
                    username, remote);
            return false;
        }
        Optional<String> expected = acceptedSecretHash.get();
        if (expected.isEmpty()) {
            LOG.warn("refused join from {}: this node accepts no join token at the moment", remote);
            return false;
        }
        if (!JoinToken.secretMatches(password, expected.get())) {
            LOG.warn("refused join from {}: wrong join secret", remote);
            return false;
        }
        LOG.info("join secret accepted from {}", remote);
        session.setAttribute(ServerAttributes.PEER, PeerIdentity.joining(remote));
        return true;
    }
}
