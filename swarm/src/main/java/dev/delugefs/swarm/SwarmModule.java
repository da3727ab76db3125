package dev.delugefs.swarm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.function.Predicate;

import bt.data.ChunkVerifier;
import bt.module.PeerConnectionSelector;
import bt.module.ServiceModule;
import bt.net.IPeerConnectionFactory;
import bt.net.SharedSelector;
import bt.net.SocketChannelConnectionAcceptor;
import bt.service.IRuntimeLifecycleBinder;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

/** Our parts of a bt runtime; bt installs custom modules as overrides of its own bindings. */
final class SwarmModule extends AbstractModule {
    private final ServerSocketChannel server;
    private final ChunkVerifier verifier;
    private final MemberPeerSources peerSources;
    private final Predicate<InetAddress> admitted;
    private final PieceSenders senders;

    SwarmModule(ServerSocketChannel server, ChunkVerifier verifier, MemberPeerSources peerSources,
                Predicate<InetAddress> admitted, PieceSenders senders) {
        this.senders = senders;
        this.server = server;
        this.verifier = verifier;
        this.peerSources = peerSources;
        this.admitted = admitted;
    }

    @Override
    protected void configure() {
        bind(ChunkVerifier.class).toInstance(verifier);
        ServiceModule.extend(binder()).addPeerSourceFactory(peerSources).addMessagingAgent(senders);
    }

    @Provides
    @Singleton
    @PeerConnectionSelector
    SharedSelector selector(IRuntimeLifecycleBinder lifecycle) {
        QueuedRegistrationSelector selector;
        try {
            selector = new QueuedRegistrationSelector(Selector.open());
        } catch (IOException e) {
            throw new UncheckedIOException("opening the peer connection selector", e);
        }
        lifecycle.onShutdown("Shutdown selector", () -> {
            try {
                selector.close();
            } catch (IOException e) {
                throw new UncheckedIOException("closing the peer connection selector", e);
            }
        });
        return selector;
    }

    @Provides
    @Singleton
    SocketChannelConnectionAcceptor acceptor(@PeerConnectionSelector SharedSelector selector,
                                             IPeerConnectionFactory connections) {
        try {
            return new BoundAcceptor(server, selector, connections, admitted);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
