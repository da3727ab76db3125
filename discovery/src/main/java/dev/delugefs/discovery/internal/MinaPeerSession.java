package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.ChannelRefusedException;
import dev.delugefs.discovery.ChannelRefusedException.Reason;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.PeerSession;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.apache.sshd.common.util.net.SshdSocketAddress;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/** {@link PeerSession} over one MINA {@link ClientSession}, replaced lazily when it breaks. */
public final class MinaPeerSession implements PeerSession {
    private static final Logger LOG = LoggerFactory.getLogger(MinaPeerSession.class);

    private final SshClient client;
    private final ClientCredentials credentials;
    private final String hostKeyFingerprint;
    private final Predicate<String> trustedHostKey;
    private volatile String verifiedFingerprint;
    private final List<HostPort> addresses;
    private final Duration connectTimeout;
    private final IntUnaryOperator ports;
    private final Object connectLock = new Object();
    private final AtomicLong connections = new AtomicLong();
    private volatile ClientSession current;
    private volatile boolean closed;

    public MinaPeerSession(SshClient client, ClientCredentials credentials, String hostKeyFingerprint,
                           List<HostPort> addresses, Duration connectTimeout) {
        this(client, credentials, hostKeyFingerprint, hostKeyFingerprint::equals, addresses, connectTimeout);
    }

    /**
     * @param expectedHostKeys what {@code trustedHostKey} accepts, in words, for messages until a key was seen
     */
    public MinaPeerSession(SshClient client, ClientCredentials credentials, String expectedHostKeys,
                           Predicate<String> trustedHostKey, List<HostPort> addresses, Duration connectTimeout) {
        this(client, credentials, expectedHostKeys, trustedHostKey, addresses, connectTimeout,
                IntUnaryOperator.identity());
    }

    /**
     * @param ports where the peer's other ports are reached at the session's remote host: the identity for a
     *              direct session, the forwarded ports for one that runs through the peer's reverse link
     */
    public MinaPeerSession(SshClient client, ClientCredentials credentials, String expectedHostKeys,
                           Predicate<String> trustedHostKey, List<HostPort> addresses, Duration connectTimeout,
                           IntUnaryOperator ports) {
        this.client = client;
        this.ports = Objects.requireNonNull(ports, "ports");
        this.credentials = credentials;
        this.hostKeyFingerprint = Objects.requireNonNull(expectedHostKeys, "expectedHostKeys");
        this.trustedHostKey = Objects.requireNonNull(trustedHostKey, "trustedHostKey");
        this.addresses = List.copyOf(addresses);
        this.connectTimeout = connectTimeout;
        if (this.addresses.isEmpty()) {
            throw new IllegalArgumentException("a peer needs at least one address");
        }
    }

    @Override
    public ExecResult exec(String command, byte[] stdin, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ChannelExec channel = openChannel(command, out, err, timeout);
        try {
            sendStdin(channel, stdin);
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), left);
            if (!events.contains(ClientChannelEvent.CLOSED)) {
                throw new IOException("'" + command + "' on " + this + " gave no answer within " + timeout);
            }
            Integer status = channel.getExitStatus();
            if (status == null) {
                throw new IOException("'" + command + "' on " + this + " ended without an exit status"
                        + (channel.getExitSignal() != null ? " (signal " + channel.getExitSignal() + ")" : ""));
            }
            return new ExecResult(status, out.toByteArray(), err.toByteArray());
        } finally {
            channel.close(true);
        }
    }

    private static void sendStdin(ChannelExec channel, byte[] stdin) throws IOException {
        try (OutputStream in = channel.getInvertedIn()) {
            in.write(stdin);
        } catch (IOException e) {
            // a command may finish without reading its input (e.g. unknown command); its answer still counts
            if (!channel.isClosing() && channel.isOpen()) {
                throw e;
            }
        }
    }

    private ChannelExec openChannel(String command, OutputStream out, OutputStream err, Duration timeout)
            throws IOException {
        ClientSession session = session();
        try {
            return open(session, command, out, err, timeout);
        } catch (IOException | IllegalStateException e) {
            if (usable(session)) {
                throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
            // the session died under us (peer restarted, network blip): the command never started, so retry once
            LOG.info("session to {} broke ({}); reconnecting", this, e.toString());
            return open(session(), command, out, err, timeout);
        }
    }

    private static ChannelExec open(ClientSession session, String command, OutputStream out, OutputStream err,
                                    Duration timeout) throws IOException {
        ChannelExec channel = session.createExecChannel(command);
        channel.setOut(out);
        channel.setErr(err);
        try {
            channel.open().verify(timeout);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close(true);
            throw e;
        }
    }

    @Override
    public ChannelExec createExecChannel(String command) throws IOException {
        return session().createExecChannel(command);
    }

    @Override
    public ClientSession session() throws IOException {
        ClientSession session = current;
        if (usable(session)) {
            return session;
        }
        synchronized (connectLock) {
            if (closed) {
                throw new IOException("session to " + this + " is closed");
            }
            session = current;
            if (usable(session)) {
                return session;
            }
            if (session != null) {
                session.close(true);
            }
            current = connectToAny();
            connections.incrementAndGet();
            return current;
        }
    }

    private static boolean usable(ClientSession session) {
        return session != null && session.isOpen() && !session.isClosing() && session.isAuthenticated();
    }

    /** Tries each address; a refusal is reported over a plain network error, as it says more. */
    private ClientSession connectToAny() throws IOException {
        ChannelRefusedException refused = null;
        IOException last = null;
        for (HostPort address : addresses) {
            try {
                return connect(address);
            } catch (ChannelRefusedException e) {
                refused = refused == null ? e : refused;
            } catch (IOException e) {
                last = e;
            }
        }
        if (refused != null) {
            throw refused;
        }
        throw new IOException("cannot reach peer " + hostKeyFingerprint + " at " + addresses + ": "
                + last.getMessage(), last);
    }

    private ClientSession connect(HostPort address) throws IOException {
        HostKeyCheck check = new HostKeyCheck(hostKeyFingerprint, trustedHostKey);
        ClientSession session;
        try {
            session = client.connect(credentials.username(), address.toSocketAddress(),
                            AttributeRepository.ofKeyValuePair(HostKeyCheck.KEY, check), null)
                    .verify(connectTimeout).getClientSession();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
        }
        try {
            credentials.applyTo(session);
            session.auth().verify(connectTimeout);
            verifiedFingerprint = check.verifiedFingerprint();
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            if (check.mismatch() != null) {
                throw new ChannelRefusedException(Reason.HOST_KEY_MISMATCH, "host key of " + address + " is "
                        + check.mismatch() + " but " + hostKeyFingerprint + " was expected: another machine "
                        + "answers at that address, or someone poses as the peer");
            }
            if (check.verified()) {
                throw new ChannelRefusedException(Reason.AUTH_REFUSED, credentials.refusal(address));
            }
            throw new IOException("SSH handshake with " + address + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long connection() {
        return connections.get();
    }

    @Override
    public InetSocketAddress reach(int port) throws IOException {
        SocketAddress remote = session().getIoSession().getRemoteAddress();
        if (!(remote instanceof InetSocketAddress inet)) {
            throw new IOException("session to " + this + " has no IP address: " + remote);
        }
        int mapped = ports.applyAsInt(port);
        if (mapped <= 0) {
            throw new IOException("port " + port + " of " + this + " is not reachable from here");
        }
        return new InetSocketAddress(inet.getAddress(), mapped);
    }

    @Override
    public int forwardBack(HostPort local) throws IOException {
        SshdSocketAddress bound = session().startRemotePortForwarding(
                new SshdSocketAddress("127.0.0.1", 0), new SshdSocketAddress(local.host(), local.port()));
        return bound.getPort();
    }

    @Override
    public String hostKeyFingerprint() {
        String seen = verifiedFingerprint;
        return seen != null ? seen : hostKeyFingerprint;
    }

    @Override
    public void close() {
        synchronized (connectLock) {
            closed = true;
            ClientSession session = current;
            current = null;
            if (session != null) {
                session.close(true);
            }
        }
    }

    @Override
    public String toString() {
        return "peer " + hostKeyFingerprint + " " + addresses;
    }
}
