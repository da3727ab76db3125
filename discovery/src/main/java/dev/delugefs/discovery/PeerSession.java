package dev.delugefs.discovery;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

import java.io.IOException;
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
