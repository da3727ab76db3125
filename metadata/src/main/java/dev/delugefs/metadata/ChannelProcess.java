package dev.delugefs.metadata;

import dev.delugefs.discovery.PeerSession;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A command running on a peer, seen as the {@link Process} JGit's SSH transport expects: stdin, stdout and
 * stderr are the exec channel's, and the exit value is the one the peer sent.
 */
final class ChannelProcess extends Process {

    private static final Set<ClientChannelEvent> ENDED = EnumSet.of(ClientChannelEvent.CLOSED,
            ClientChannelEvent.EXIT_STATUS);
    /** Status of a channel that closed without sending one, as a shell reports a killed command. */
    private static final int NO_STATUS = 255;

    private final ChannelExec channel;

    private ChannelProcess(ChannelExec channel) {
        this.channel = channel;
    }

    /** Opens an exec channel on the peer's shared session, sending {@code environment} first. */
    static ChannelProcess start(PeerSession peer, String command, Map<String, String> environment, Duration timeout)
            throws IOException {
        ChannelExec channel = peer.createExecChannel(command);
        try {
            environment.forEach(channel::setEnv);
            channel.setRedirectErrorStream(false);
            channel.open().verify(timeout);
            return new ChannelProcess(channel);
        } catch (IOException | RuntimeException e) {
            channel.close(true);
            throw e instanceof IOException io ? io : new IOException("cannot run '" + command + "' on " + peer, e);
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return channel.getInvertedIn();
    }

    @Override
    public InputStream getInputStream() {
        return channel.getInvertedOut();
    }

    @Override
    public InputStream getErrorStream() {
        return channel.getInvertedErr();
    }

    @Override
    public int waitFor() {
        channel.waitFor(ENDED, 0L);
        return exitValue();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) {
        Set<ClientChannelEvent> seen = channel.waitFor(ENDED, Math.max(1, unit.toMillis(timeout)));
        return seen.contains(ClientChannelEvent.CLOSED) || seen.contains(ClientChannelEvent.EXIT_STATUS);
    }

    @Override
    public int exitValue() {
        Integer status = channel.getExitStatus();
        if (status != null) {
            return status;
        }
        if (channel.isClosed() || channel.isClosing()) {
            return NO_STATUS;
        }
        throw new IllegalThreadStateException("the command on the peer is still running");
    }

    @Override
    public boolean isAlive() {
        return channel.getExitStatus() == null && !channel.isClosed() && !channel.isClosing();
    }

    /** Closes the channel only: the session under it is shared with other callers. */
    @Override
    public void destroy() {
        channel.close(false);
    }

    @Override
    public Process destroyForcibly() {
        channel.close(true);
        return this;
    }

    @Override
    public String toString() {
        return "ChannelProcess[" + channel + "]";
    }
}
