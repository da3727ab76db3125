package dev.delugefs.fs.net;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CompositeMembership;
import dev.delugefs.discovery.Hello;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.MdnsDiscovery;
import dev.delugefs.discovery.Membership;
import dev.delugefs.discovery.MembershipListener;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerInfo;
import dev.delugefs.discovery.PeerSession;
import dev.delugefs.discovery.StaticPeers;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.PeerDirectory;
import dev.delugefs.metadata.VolumeSync;
import dev.delugefs.swarm.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's part in its volume's network: the authenticated channel (server and client), who the peers
 * are (mDNS and --peer), and the namespace sync over them. Members are the keys in {@code nodes/*.pub}
 * of the volume; a new node gets in once with the join secret (DESIGN.md §6, §7).
 */
public final class NodeNetwork implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(NodeNetwork.class);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(15);

    /** The node's network flags. */
    public record Settings(HostPort listen, List<HostPort> peers, InetAddress bind, List<HostPort> advertise,
                           boolean mdns) {
        public Settings {
            peers = List.copyOf(peers);
            advertise = List.copyOf(advertise);
        }
    }

    private final ChannelServer server;
    private final ChannelClient client;
    private final Membership membership;
    private final MdnsDiscovery mdns;
    private final VolumeSync sync;
    private final AuthorizedKeys members;
    private final Map<String, PeerSession> sessions = new ConcurrentHashMap<>();

    private NodeNetwork(ChannelServer server, ChannelClient client, Membership membership, MdnsDiscovery mdns,
                        VolumeSync sync, AuthorizedKeys members) {
        this.server = server;
        this.client = client;
        this.membership = membership;
        this.mdns = mdns;
        this.sync = sync;
        this.members = members;
    }

    public static NodeNetwork start(Path root, NodeIdentity identity, NamespaceStore store, BlockStore blocks,
                                    Settings settings) throws IOException {
        NodeKeys keys = NodeKeys.load(root);
        ChannelSettings saved = ChannelSettings.load(root);
        HostPort listen = settings.listen() != null ? settings.listen()
                : saved != null ? saved.listenAddress() : ChannelSettings.fresh().listenAddress();
        AuthorizedKeys members = () -> memberKeys(store);
        ChannelServer server = ChannelServer.builder(keys)
                .listen(listen)
                .authorizedKeys(members)
                .joinSecretHash(() -> joinSecretHash(store))
                .start();
        List<HostPort> advertise = settings.advertise().isEmpty() && saved != null && settings.listen() == null
                ? saved.advertiseAddresses() : settings.advertise();
        new ChannelSettings(listen.host() + ":" + server.port(),
                advertise.stream().map(HostPort::toString).toList()).save(root);
        List<HostPort> reachable = JoinSecret.reachableAddresses(ChannelSettings.load(root));

        ChannelClient client = ChannelClient.start(keys);
        server.register(JoinHandler.COMMAND, new JoinHandler(store, identity.nodeId()));
        StorageCommands.register(server, blocks, Files.getFileStore(root));
        PeerInfo self = new PeerInfo(identity.nodeId(), identity.volumeId(), reachable, 0, hostId(),
                headOf(store), 0, Instant.now());
        Hello.register(server, () -> self.withState(headOf(store), freeBytes(root)).seenAt(Instant.now()));

        List<Membership> sources = new ArrayList<>();
        sources.add(StaticPeers.builder(identity.volumeId(), identity.nodeId(),
                        address -> client.anyMember(members, List.of(address)))
                .peers(settings.peers())
                .timeout(PROBE_TIMEOUT)
                .start());
        MdnsDiscovery mdns = null;
        if (settings.mdns()) {
            InetAddress bind = settings.bind() != null ? settings.bind() : defaultBindAddress(reachable);
            mdns = MdnsDiscovery.start(bind, store.volume().name(), self);
            sources.add(mdns);
        }
        NodeNetwork[] holder = new NodeNetwork[1];
        CompositeMembership membership = CompositeMembership.start(sources,
                Hello.probe(peer -> holder[0].session(peer), PROBE_TIMEOUT), PROBE_INTERVAL);
        VolumeSync sync = new VolumeSync(store, identity.nodeId(), new Directory(membership, holder), SWEEP_INTERVAL);
        NodeNetwork network = new NodeNetwork(server, client, membership, mdns, sync, members);
        holder[0] = network;
        membership.addListener(new MembershipListener() {
            @Override
            public void peerUp(PeerInfo peer) {
                log.info("peer {} is up at {}", peer.shortId(), peer.addresses());
                sync.pullSoon(peer.nodeId());
            }

            @Override
            public void peerChanged(PeerInfo peer) {
                if (!peer.head().isEmpty()) {
                    sync.pullSoon(peer.nodeId());
                }
            }

            @Override
            public void peerDown(PeerInfo peer) {
                log.info("peer {} is down", peer.shortId());
                PeerSession gone = network.sessions.remove(peer.nodeId());
                closeQuietly(gone);
            }
        });
        if (mdns != null) {
            MdnsDiscovery announcer = mdns;
            store.addCommitListener(head -> announcer.update(head.name(), freeBytes(root)));
        }
        sync.start(server);
        log.info("channel listening on {} ({}), node key {}", server.address(), reachable, keys.fingerprint());
        return network;
    }

    /** The channel's bound port. */
    public int port() {
        return server.port();
    }

    private PeerSession session(PeerInfo peer) {
        return sessions.compute(peer.nodeId(), (id, existing) -> {
            if (existing != null) {
                return existing;
            }
            return client.anyMember(members, peer.addresses());
        });
    }

    private static final class Directory implements PeerDirectory {
        private final Membership membership;
        private final NodeNetwork[] network;

        Directory(Membership membership, NodeNetwork[] network) {
            this.membership = membership;
            this.network = network;
        }

        @Override
        public List<PeerLink> peers() {
            List<PeerLink> links = new ArrayList<>();
            for (PeerInfo peer : membership.peers()) {
                links.add(new PeerLink(peer.nodeId(), network[0].session(peer)));
            }
            return links;
        }

        @Override
        public Optional<PeerLink> peer(String nodeId) {
            return membership.peer(nodeId).map(p -> new PeerLink(p.nodeId(), network[0].session(p)));
        }
    }

    private static List<String> memberKeys(NamespaceStore store) {
        try {
            List<String> keys = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : store.files("nodes/").entrySet()) {
                if (e.getKey().endsWith(".pub")) {
                    keys.add(new String(e.getValue(), StandardCharsets.US_ASCII).strip());
                }
            }
            return keys;
        } catch (IOException e) {
            log.warn("could not read the members' keys: {}", e.toString());
            return List.of();
        }
    }

    private static Optional<String> joinSecretHash(NamespaceStore store) {
        try {
            return store.files(JoinSecret.REPO_PREFIX).keySet().stream()
                    .map(path -> path.substring(JoinSecret.REPO_PREFIX.length()))
                    .findFirst();
        } catch (IOException e) {
            log.warn("could not read the volume's join secret hash: {}", e.toString());
            return Optional.empty();
        }
    }

    private static String headOf(NamespaceStore store) {
        return store.head() == null ? "" : store.head().name();
    }

    private static long freeBytes(Path root) {
        return root.toFile().getUsableSpace();
    }

    private static String hostId() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static InetAddress defaultBindAddress(List<HostPort> reachable) throws IOException {
        for (HostPort address : reachable) {
            InetAddress a = InetAddress.getByName(address.host());
            if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) {
                return a;
            }
        }
        return InetAddress.getByName(reachable.get(0).host());
    }

    @Override
    public void close() {
        closeQuietly(sync);
        try {
            membership.close();
        } catch (RuntimeException e) {
            log.debug("closing the membership: {}", e.toString());
        }
        sessions.values().forEach(NodeNetwork::closeQuietly);
        closeQuietly(client);
        closeQuietly(server);
        if (mdns != null) {
            mdns.closeAsync();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
