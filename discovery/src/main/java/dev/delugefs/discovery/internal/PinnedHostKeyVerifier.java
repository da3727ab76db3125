package dev.delugefs.discovery.internal;

import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.security.PublicKey;

/** Accepts a server only with the host key pinned for that connection attempt; there is no known_hosts. */
final class PinnedHostKeyVerifier implements ServerKeyVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedHostKeyVerifier.class);

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
        AttributeRepository context = session.getConnectionContext();
        HostKeyCheck check = context == null ? null : context.getAttribute(HostKeyCheck.KEY);
        if (check == null) {
            LOG.warn("refusing {}: no host key pinned for this connection", remote);
            return false;
        }
        if (!check.accept(key)) {
            LOG.warn("refusing {}: its host key is {} but {} was expected", remote, check.mismatch(), check.expected());
            return false;
        }
        return true;
    }
}
