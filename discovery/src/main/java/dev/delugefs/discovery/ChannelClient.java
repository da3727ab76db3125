package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.ClientCredentials;
import dev.delugefs.discovery.internal.MemberFingerprints;
import dev.delugefs.discovery.internal.MinaPeerSession;
import dev.delugefs.discovery.internal.SshClientSetup;
import org.apache.sshd.client.SshClient;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.IntUnaryOperator;

/**
 * The node's client side of the channel: one MINA client (its I/O threads) for all peers, handing out one
 * {@link PeerSession} per peer. It reads no {@code ~/.ssh} file: identity and trusted host keys are the node's.
 */
public final class ChannelClient implements AutoCloseable {
    private final SshClient client;
    private final NodeKeys keys;
    private final Duration connectTimeout;

    private ChannelClient(SshClient client, NodeKeys keys, Duration connectTimeout) {
        this.client = client;
        this.keys = keys;
        this.connectTimeout = connectTimeout;
    }

    public static ChannelClient start(NodeKeys keys) {
        return start(keys, Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    /**
     * @param connectTimeout bound on TCP connect, and again on handshake plus login
     * @param heartbeat      interval of keep-alive requests; three unanswered ones drop the session. Keep it
     *                       well under the servers' idle timeout (2 min by default); zero turns it off
     */
    public static ChannelClient start(NodeKeys keys, Duration connectTimeout, Duration heartbeat) {
        SshClient client = SshClientSetup.create(heartbeat);
        client.start();
        return new ChannelClient(client, Objects.requireNonNull(keys, "keys"), connectTimeout);
    }

    /** A session to a member, logging in with this node's key; addresses are tried in order. */
    public PeerSession member(String hostKeyFingerprint, List<HostPort> addresses) {
        return new MinaPeerSession(client, ClientCredentials.member(keys.keyPair()), hostKeyFingerprint,
                addresses, connectTimeout);
    }

    /**
     * A session to a member known only by address ({@code --peer}): any host key of {@code members} is accepted,
     * and {@link PeerSession#hostKeyFingerprint()} tells which one it was once connected.
     */
    public PeerSession anyMember(AuthorizedKeys members, List<HostPort> addresses) {
        return new MinaPeerSession(client, ClientCredentials.member(keys.keyPair()), "any member key",
                new MemberFingerprints(members), addresses, connectTimeout);
    }

    /**
     * As {@link #anyMember(AuthorizedKeys, List)}, for a session that reaches the peer's other ports through
     * {@code ports} (a reverse link's forwards): see {@link PeerSession#reach}.
     */
    public PeerSession anyMember(AuthorizedKeys members, List<HostPort> addresses, IntUnaryOperator ports) {
        return new MinaPeerSession(client, ClientCredentials.member(keys.keyPair()), "any member key",
                new MemberFingerprints(members), addresses, connectTimeout, ports);
    }

    public PeerSession member(String hostKeyFingerprint, HostPort address) {
        return member(hostKeyFingerprint, List.of(address));
    }

    /** A first-contact session as user {@code join}, to the issuing member named in the token. */
    public PeerSession joining(JoinToken token) {
        return new MinaPeerSession(client, ClientCredentials.join(token.secret()), token.hostKeyFingerprint(),
                token.addresses(), connectTimeout);
    }

    @Override
    public void close() {
        client.stop();
    }
}
