package dev.delugefs.metadata;

import dev.delugefs.discovery.PeerSession;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RemoteSession2;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FS;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * JGit's SSH transport over the node's one session to a peer: every git command becomes an exec channel on
 * it, so a fetch costs no handshake, and no {@code ~/.ssh} file, agent or config is ever read (the session
 * was made with the node's own key and the peer's pinned host key). The URI's host only names the peer.
 */
final class PeerSessionFactory extends SshSessionFactory {

    private static final Duration DEFAULT_OPEN_TIMEOUT = Duration.ofSeconds(30);

    private final PeerSession peer;

    PeerSessionFactory(PeerSession peer) {
        this.peer = peer;
    }

    @Override
    public RemoteSession2 getSession(URIish uri, CredentialsProvider credentials, FS fs, int timeoutMillis)
            throws TransportException {
        Duration timeout = timeoutMillis > 0 ? Duration.ofMillis(timeoutMillis) : DEFAULT_OPEN_TIMEOUT;
        return new RemoteSession2() {
            @Override
            public Process exec(String command, int timeoutSeconds) throws IOException {
                return exec(command, Map.of(), timeoutSeconds);
            }

            @Override
            public Process exec(String command, Map<String, String> environment, int timeoutSeconds)
                    throws IOException {
                try {
                    return ChannelProcess.start(peer, command, environment, timeout);
                } catch (IOException e) {
                    throw new TransportException(uri, e.getMessage(), e);
                }
            }

            @Override
            public void disconnect() {
                // the session belongs to the node and outlives this fetch
            }
        };
    }

    @Override
    public String getType() {
        return "delugefs-channel";
    }
}
