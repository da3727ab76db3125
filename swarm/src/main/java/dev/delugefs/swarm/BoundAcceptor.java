package dev.delugefs.swarm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Predicate;

import bt.net.ConnectionResult;
import bt.net.ConnectionRoutine;
import bt.net.IPeerConnectionFactory;
import bt.net.InetPeer;
import bt.net.SharedSelector;
import bt.net.SocketChannelConnectionAcceptor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bt's acceptor over a channel we bound before the runtime started. bt binds lazily and only logs a
 * port that is taken (DESIGN §10), and with port 0 never says which port it got; binding first fails
 * early and lets the node publish the real port. Connections from addresses that {@code admitted}
 * refuses are closed before any handshake.
 */
final class BoundAcceptor extends SocketChannelConnectionAcceptor {
    private static final Logger LOG = LoggerFactory.getLogger(BoundAcceptor.class);

    private final ServerSocketChannel server;
    private final IPeerConnectionFactory connections;
    private final Predicate<InetAddress> admitted;

    BoundAcceptor(ServerSocketChannel server, SharedSelector selector, IPeerConnectionFactory connections,
                  Predicate<InetAddress> admitted) throws IOException {
        super(selector, connections, (InetSocketAddress) server.getLocalAddress());
        this.server = server;
        this.connections = connections;
        this.admitted = admitted;
    }

    @Override
    public ConnectionRoutine accept() {
        while (true) {
            SocketChannel channel;
            InetSocketAddress remote;
            try {
                channel = server.accept();
                remote = (InetSocketAddress) channel.getRemoteAddress();
            } catch (IOException e) {
                // bt's listener logs this and stops accepting: only a closed runtime gets here
                throw new IllegalStateException("no longer accepting BitTorrent connections", e);
            }
            if (admitted.test(remote.getAddress())) {
                return routine(channel, remote);
            }
            LOG.info("refused a BitTorrent connection from {}: not a member", remote);
            closeQuietly(channel);
        }
    }

    private ConnectionRoutine routine(SocketChannel channel, InetSocketAddress remote) {
        return new ConnectionRoutine() {
            @Override
            public InetSocketAddress getRemoteAddress() {
                return remote;
            }

            @Override
            public ConnectionResult establish() {
                try {
                    return connections.createIncomingConnection(InetPeer.build(remote.getAddress()), channel);
                } catch (RuntimeException e) {
                    LOG.warn("incoming BitTorrent connection from {} failed", remote, e);
                    closeQuietly(channel);
                    return ConnectionResult.failure("unexpected error", e);
                }
            }

            @Override
            public void cancel() {
                closeQuietly(channel);
            }
        };
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing {}", channel, e);
        }
    }
}
