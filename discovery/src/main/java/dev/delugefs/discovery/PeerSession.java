package dev.delugefs.discovery;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The one SSH session to one peer, shared by all callers; every call gets its own exec channel, so calls
 * from many threads run side by side. Connects on first use and again after the session broke.
 */
public interface PeerSession extends AutoCloseable {

    /**
     * Runs {@code command} on the peer, feeding it {@code stdin} then EOF.
     *
     * @throws ChannelRefusedException if the peer is not who we expect, or does not let us in
     * @throws IOException if the peer cannot be reached, or no answer came within {@code timeout}
     */
    ExecResult exec(String command, byte[] stdin, Duration timeout) throws IOException;

    /**
     * A not yet opened exec channel on the shared session, for callers that stream (JGit's fetch runs
     * {@code git-upload-pack} this way): set its streams, open it, close it when done.
     */
    ChannelExec createExecChannel(String command) throws IOException;

    /**
     * Counts the connections made so far: it changes whenever the session was replaced, so state set up on
     * the old connection (a reverse link) must be set up again.
     */
    long connection();

    /**
     * Where this node reaches {@code port} of the peer's host: the session's remote address with that port,
     * or, for a session that runs through the peer's reverse link, the local end of its forward.
     *
     * @throws IOException if the peer cannot be reached, or that port is not forwarded
     */
    InetSocketAddress reach(int port) throws IOException;

    /**
     * Asks the peer to listen on its loopback and pass every connection made there back to {@code local}
     * through this session (SSH remote forwarding). Lives as long as the connection does.
     *
     * @return the port the peer listens on
     */
    int forwardBack(HostPort local) throws IOException;

    /** The connected and authenticated session, connecting first if needed. */
    ClientSession session() throws IOException;

    /**
     * The pinned host-key fingerprint of the peer; for a session to {@link ChannelClient#anyMember any member},
     * the one the peer showed once connected.
     */
    String hostKeyFingerprint();

    @Override
    void close();
}
