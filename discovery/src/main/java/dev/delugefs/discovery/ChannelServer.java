package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.CommandDispatcher;
import dev.delugefs.discovery.internal.SshServerSetup;
import org.apache.sshd.server.SshServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node's end of the authenticated channel: an SSH server that runs only registered commands.
 * Members log in with their node key; a newcomer logs in as {@code join} with the join secret and may run
 * only the {@code join} command. Unknown commands exit with 127.
 */
public final class ChannelServer implements AutoCloseable {
    private final SshServer sshd;
    private final CommandDispatcher dispatcher;
    private final HostPort address;
    private final List<Consumer<PeerIdentity>> closeListeners;

    private ChannelServer(SshServer sshd, CommandDispatcher dispatcher, HostPort address,
                          List<Consumer<PeerIdentity>> closeListeners) {
        this.sshd = sshd;
        this.closeListeners = closeListeners;
        this.dispatcher = dispatcher;
        this.address = address;
    }

    public static Builder builder(NodeKeys hostKeys) {
        return new Builder(hostKeys);
    }

    /** Commands may be registered before or after start; a name can be taken once. */
    public ChannelServer register(String name, CommandHandler handler) {
        dispatcher.register(name, Objects.requireNonNull(handler, "handler"));
        return this;
    }

    /**
     * Told of every member session that ended, with the identity its commands saw ({@link CommandRequest#peer()}
     * names one connection: its remote address is unique while it lasts). Called on MINA's threads: be quick.
     */
    public void onSessionClosed(Consumer<PeerIdentity> listener) {
        closeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The bound address; the port is the real one when 0 was asked for. */
    public HostPort address() {
        return address;
    }

    public int port() {
        return address.port();
    }

    @Override
    public void close() throws IOException {
        try {
            sshd.stop(true);
        } finally {
            dispatcher.close();
        }
    }

    public static final class Builder {
        private final NodeKeys hostKeys;
        private HostPort listen = new HostPort("127.0.0.1", 0);
        private AuthorizedKeys authorizedKeys = AuthorizedKeys.of();
        private Supplier<Optional<String>> joinSecretHash = Optional::empty;
        private int commandThreads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int commandQueue = 1024;
        private Duration idleTimeout = Duration.ofMinutes(2);

        private Builder(NodeKeys hostKeys) {
            this.hostKeys = Objects.requireNonNull(hostKeys, "hostKeys");
        }

        public Builder listen(HostPort address) {
            this.listen = Objects.requireNonNull(address, "address");
            return this;
        }

        public Builder authorizedKeys(AuthorizedKeys keys) {
            this.authorizedKeys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** The hash ({@link JoinToken#secretHash()}) of the secret that currently lets a newcomer in, if any. */
        public Builder joinSecretHash(Supplier<Optional<String>> hash) {
            this.joinSecretHash = Objects.requireNonNull(hash, "hash");
            return this;
        }

        /** The shared pool: at most {@code threads} commands run at once, {@code queue} more wait. */
        public Builder commandPool(int threads, int queue) {
            if (threads < 1 || queue < 1) {
                throw new IllegalArgumentException("command pool needs at least one thread and one queue slot");
            }
            this.commandThreads = threads;
            this.commandQueue = queue;
            return this;
        }

        /**
         * A session that sends nothing for this long is dropped, so a vanished peer does not hold resources.
         * Our clients send keep-alives well within it. The server sends no heartbeat of its own: MINA counts
         * its own writes as activity, so a server heartbeat would keep a dead client's session forever.
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public ChannelServer start() throws IOException {
            CommandDispatcher dispatcher = new CommandDispatcher(commandThreads, commandQueue);
            List<Consumer<PeerIdentity>> closeListeners = new CopyOnWriteArrayList<>();
            SshServer sshd = SshServerSetup.create(hostKeys, authorizedKeys, joinSecretHash, dispatcher,
                    idleTimeout, peer -> closeListeners.forEach(l -> l.accept(peer)));
            sshd.setHost(listen.host());
            sshd.setPort(listen.port());
            try {
                sshd.start();
            } catch (IOException | RuntimeException e) {
                dispatcher.close();
                throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
            }
            return new ChannelServer(sshd, dispatcher, new HostPort(listen.host(), sshd.getPort()), closeListeners);
        }
    }
}
