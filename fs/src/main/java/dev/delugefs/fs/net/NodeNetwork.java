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
import dev.delugefs.metadata.VolumeConfig;
import dev.delugefs.metadata.VolumeSync;
import dev.delugefs.replication.RecentUse;
import dev.delugefs.replication.Scrubber;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.fs.vfs.StorageSpace;
import dev.delugefs.swarm.ContentInfo;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
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
    private static final Duration REPLICATION_INTERVAL = Duration.ofSeconds(5);
    /** Peers are found within a few probe intervals; before that, copies on them would look lost. */
    private static final Duration REPLICATION_GRACE = Duration.ofSeconds(8);
    /** How fast a background scrub reads: a pass over 1 TB takes about 4.5 h, and leaves the disk to users. */
    private static final long SCRUB_RATE = 64L << 20;

    /** The node's network flags. */
    public record Settings(HostPort listen, List<HostPort> peers, InetAddress bind, List<HostPort> advertise,
                           boolean mdns, Integer btPort, Duration readTimeout, Duration keepRecent,
                           Duration scrubInterval) {
        public Settings {
            peers = List.copyOf(peers);
            advertise = List.copyOf(advertise);
            if (btPort != null && (btPort < 0 || btPort > 65535)) {
                throw new IllegalArgumentException("--bt-port must be 0..65535: " + btPort);
            }
            if (readTimeout.isNegative() || readTimeout.isZero()) {
                throw new IllegalArgumentException("the read timeout must be positive");
            }
            if (keepRecent.isNegative()) {
                throw new IllegalArgumentException("--keep-recent must not be negative");
            }
            if (scrubInterval.isNegative()) {
                throw new IllegalArgumentException("--scrub-interval must not be negative");
            }
        }
    }

    private final ChannelServer server;
    private final ChannelClient client;
    private final Membership membership;
    private final MdnsDiscovery mdns;
    private final VolumeSync sync;
    private final AuthorizedKeys members;
    private final Map<String, PeerSession> sessions = new ConcurrentHashMap<>();
    private final PeerTable peerTable = new PeerTable();
    private volatile NodeSwarm swarm;
    private volatile Replicator replicator;
    private volatile ScrubService scrub;

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
                                    Settings settings, Supplier<Map<String, ContentInfo>> contents,
                                    StorageSpace space) throws IOException {
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
        Integer savedBtPort = saved == null ? null : saved.btPort();
        ChannelSettings channel = new ChannelSettings(listen.host() + ":" + server.port(),
                advertise.stream().map(HostPort::toString).toList(), savedBtPort);
        channel.save(root);
        List<HostPort> reachable = JoinSecret.reachableAddresses(channel);
        NodeNetwork[] holder = new NodeNetwork[1];
        Directory directory = new Directory(holder);
        NodeSwarm swarm;
        try {
            InetAddress btAddress = InetAddress.getByName(listen.host());
            RecentUse recentUse = new RecentUse(settings.keepRecent(), Clock.systemUTC());
            swarm = startSwarm(settings, savedBtPort, btAddress, port -> NodeSwarm.start(blocks, btAddress, port,
                    directory, directory::memberAddresses, settings.readTimeout(), server,
                    () -> replicationTarget(store), space::usable, recentUse));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        new ChannelSettings(channel.listen(), channel.advertise(), swarm.port()).save(root);

        ChannelClient client = ChannelClient.start(keys);
        server.register(JoinHandler.COMMAND, new JoinHandler(store, identity.nodeId()));
        StorageCommands.register(server, blocks, space, swarm.recentUse());
        PeerInfo self = new PeerInfo(identity.nodeId(), identity.volumeId(), reachable, swarm.port(), hostId(),
                headOf(store), 0, Instant.now());
        Hello.register(server, () -> self.withState(headOf(store), space.usable()).seenAt(Instant.now()));

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
        CompositeMembership membership = CompositeMembership.start(sources,
                Hello.probe(peer -> holder[0].session(peer), PROBE_TIMEOUT), PROBE_INTERVAL);
        VolumeSync sync = new VolumeSync(store, identity.nodeId(), directory, SWEEP_INTERVAL);
        NodeNetwork network = new NodeNetwork(server, client, membership, mdns, sync, members);
        network.swarm = swarm;
        holder[0] = network;
        network.replicator = new Replicator(identity.nodeId(), hostId(), directory, membership, swarm, blocks,
                () -> replicationTarget(store), space::usable, contents, REPLICATION_INTERVAL, swarm.recentUse());
        server.register(ConfigCommand.NAME, new ConfigCommand(store));
        NodeSwarm serving = swarm;
        network.scrub = new ScrubService(new Scrubber(blocks, contents, new Scrubber.Repair() {
            @Override
            public void release(String contentId) {
                serving.release(contentId);
            }

            @Override
            public void refetch(ContentInfo content) {
                serving.refetch(content);
            }
        }, SCRUB_RATE), settings.scrubInterval());
        server.register(ScrubService.NAME, network.scrub);
        server.register(StatusCommand.NAME, new StatusCommand(identity, store, network.peerTable, swarm,
                network.replicator, space, network.scrub));
        membership.addListener(new MembershipListener() {
            @Override
            public void peerUp(PeerInfo peer) {
                network.peerTable.up(peer);
                log.info("peer {} is up at {}", peer.shortId(), peer.addresses());
                sync.pullSoon(peer.nodeId());
            }

            @Override
            public void peerChanged(PeerInfo peer) {
                network.peerTable.up(peer);
                if (!peer.head().isEmpty()) {
                    sync.pullSoon(peer.nodeId());
                }
            }

            @Override
            public void peerDown(PeerInfo peer) {
                network.peerTable.down(peer);
                log.info("peer {} is down", peer.shortId());
                PeerSession gone = network.sessions.remove(peer.nodeId());
                closeQuietly(gone);
            }
        });
        if (mdns != null) {
            MdnsDiscovery announcer = mdns;
            store.addCommitListener(head -> announcer.update(head.name(), space.usable()));
        }
        sync.start(server);
        network.replicator.start(REPLICATION_GRACE);
        log.info("channel listening on {} ({}), node key {}", server.address(), reachable, keys.fingerprint());
        return network;
    }

    /** The channel's bound port. */
    public int port() {
        return server.port();
    }

    /** The data plane: reads of content other nodes hold. */
    public NodeSwarm swarm() {
        return swarm;
    }

    /** Starts the node's BitTorrent side on one port. */
    private interface SwarmStarter {
        NodeSwarm on(int port) throws IOException;
    }

    /**
     * The runtime listens on the channel's host, on --bt-port, else on the port it had last time, else on
     * a free one. A remembered port that is taken now is given up for a free one; a given one is not.
     */
    private static NodeSwarm startSwarm(Settings settings, Integer savedBtPort, InetAddress address,
                                        SwarmStarter starter) throws IOException {
        if (settings.btPort() != null) {
            try {
                return starter.on(settings.btPort());
            } catch (java.net.BindException e) {
                throw new IOException("--bt-port " + settings.btPort() + " on " + address.getHostAddress()
                        + " is taken: " + e.getMessage(), e);
            }
        }
        if (savedBtPort != null && savedBtPort != 0) {
            try {
                return starter.on(savedBtPort);
            } catch (java.net.BindException e) {
                log.warn("BitTorrent port {} is taken now; taking a free one", savedBtPort);
            }
        }
        return starter.on(0);
    }

    /** The volume's replication target as committed now (a merge may have changed it since start). */
    static int replicationTarget(NamespaceStore store) {
        try {
            byte[] json = store.files(VolumeConfig.FILE_NAME).get(VolumeConfig.FILE_NAME);
            if (json != null) {
                return VolumeConfig.fromJson(json).replication();
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not read {}: {}", VolumeConfig.FILE_NAME, e.toString());
        }
        return store.volume().replication();
    }

    private PeerSession session(PeerInfo peer) {
        return sessions.compute(peer.nodeId(), (id, existing) -> {
            if (existing != null) {
                return existing;
            }
            return client.anyMember(members, peer.addresses());
        });
    }

    /** The peers that are up, through the network once it is built (before that: none). */
    private static final class Directory implements PeerDirectory {
        private final NodeNetwork[] network;

        Directory(NodeNetwork[] network) {
            this.network = network;
        }

        @Override
        public List<PeerLink> peers() {
            NodeNetwork net = network[0];
            List<PeerLink> links = new ArrayList<>();
            if (net != null) {
                for (PeerInfo peer : net.membership.peers()) {
                    links.add(new PeerLink(peer.nodeId(), net.session(peer)));
                }
            }
            return links;
        }

        @Override
        public Optional<PeerLink> peer(String nodeId) {
            NodeNetwork net = network[0];
            return net == null ? Optional.empty()
                    : net.membership.peer(nodeId).map(p -> new PeerLink(p.nodeId(), net.session(p)));
        }

        /** Addresses of the peers that are up, for the BitTorrent acceptor. */
        java.util.Set<InetAddress> memberAddresses() {
            NodeNetwork net = network[0];
            java.util.Set<InetAddress> addresses = new java.util.HashSet<>();
            if (net != null) {
                for (PeerInfo peer : net.membership.peers()) {
                    for (HostPort address : peer.addresses()) {
                        try {
                            addresses.add(InetAddress.getByName(address.host()));
                        } catch (IOException e) {
                            // a name that does not resolve admits nobody
                        }
                    }
                }
            }
            return addresses;
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
        closeQuietly(scrub);
        closeQuietly(replicator);
        closeQuietly(sync);
        closeQuietly(swarm);
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
