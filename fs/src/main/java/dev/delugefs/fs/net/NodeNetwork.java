package dev.delugefs.fs.net;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CompositeMembership;
import dev.delugefs.discovery.Hello;
import dev.delugefs.discovery.InboundPeers;
import dev.delugefs.discovery.ReverseLinks;
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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node's part in its volume's network: the authenticated channel (server and client), who the peers
 * are (--peer addresses and those remembered in the root, the members' records in the volume, mDNS, and the
 * reverse links of members that reached us), and the namespace sync over them. Members are the keys in {@code nodes/*.pub}
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
    private final CompositeMembership membership;
    private final MdnsDiscovery mdns;
    private final VolumeSync sync;
    private final PeerSessions sessions;
    private final PeerTable peerTable = new PeerTable();
    private final ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "delugefs-member-upkeep");
        t.setDaemon(true);
        return t;
    });
    private volatile Set<InetAddress> memberAddresses = Set.of();
    /** Set once at start: our own addresses, which connections through a reverse link come from. */
    private volatile Set<InetAddress> selfAddresses = Set.of();
    private volatile NodeSwarm swarm;
    private volatile Replicator replicator;
    private volatile ScrubService scrub;

    private NodeNetwork(ChannelServer server, ChannelClient client, CompositeMembership membership,
                        MdnsDiscovery mdns, VolumeSync sync, PeerSessions sessions) {
        this.server = server;
        this.client = client;
        this.membership = membership;
        this.mdns = mdns;
        this.sync = sync;
        this.sessions = sessions;
    }

    public static NodeNetwork start(Path root, NodeIdentity identity, NamespaceStore store, BlockStore blocks,
                                    Settings settings, Supplier<Map<String, ContentInfo>> contents,
                                    StorageSpace space) throws IOException {
        NodeKeys keys = NodeKeys.load(root);
        ChannelSettings saved = ChannelSettings.load(root);
        HostPort listen = settings.listen() != null ? settings.listen()
                : saved != null ? saved.listenAddress() : ChannelSettings.fresh().listenAddress();
        AuthorizedKeys members = () -> memberKeys(store);
        List<AutoCloseable> started = new ArrayList<>();
        try {
            ChannelServer server = ChannelServer.builder(keys)
                    .listen(listen)
                    .authorizedKeys(members)
                    .joinSecretHash(() -> joinSecretHash(store))
                    .start();
            started.add(server);
            NodeNetwork network = assemble(root, identity, store, blocks, settings, contents, space, keys, saved,
                    listen, members, server, started);
            started.clear();
            return network;
        } catch (IOException | RuntimeException e) {
            for (int i = started.size() - 1; i >= 0; i--) {
                closeQuietly(started.get(i));
            }
            throw e;
        }
    }

    /** The parts after the channel server, in order; each is added to {@code started} to be closed on failure. */
    private static NodeNetwork assemble(Path root, NodeIdentity identity, NamespaceStore store, BlockStore blocks,
                                        Settings settings, Supplier<Map<String, ContentInfo>> contents,
                                        StorageSpace space, NodeKeys keys, ChannelSettings saved, HostPort listen,
                                        AuthorizedKeys members, ChannelServer server, List<AutoCloseable> started)
            throws IOException {
        List<HostPort> advertise = settings.advertise().isEmpty() && saved != null && settings.listen() == null
                ? saved.advertiseAddresses() : settings.advertise();
        Integer savedBtPort = saved == null ? null : saved.btPort();
        ChannelSettings channel = new ChannelSettings(listen.host() + ":" + server.port(),
                advertise.stream().map(HostPort::toString).toList(), savedBtPort);
        channel.save(root);
        List<HostPort> reachable = JoinSecret.reachableAddresses(channel);
        NodeNetwork[] holder = new NodeNetwork[1];
        Directory directory = new Directory(holder);
        InetAddress btAddress = InetAddress.getByName(listen.host());
        RecentUse recentUse = new RecentUse(settings.keepRecent(), Clock.systemUTC());
        NodeSwarm swarm = startSwarm(settings, savedBtPort, btAddress, port -> NodeSwarm.start(blocks, btAddress,
                port, directory, directory::memberAddresses, settings.readTimeout(), server,
                () -> replicationTarget(store), space::usable, recentUse));
        started.add(swarm);
        new ChannelSettings(channel.listen(), channel.advertise(), swarm.port()).save(root);

        ChannelClient client = ChannelClient.start(keys);
        started.add(client);
        server.register(JoinHandler.COMMAND, new JoinHandler(store, identity.nodeId()));
        StorageCommands.register(server, blocks, space, swarm.recentUse());
        PeerInfo self = new PeerInfo(identity.nodeId(), identity.volumeId(), reachable, swarm.port(), hostId(),
                headOf(store), 0, Instant.now());
        Supplier<PeerInfo> hello = () -> self.withState(headOf(store), space.usable()).seenAt(Instant.now());
        Hello.register(server, hello);

        MemberRecords records = new MemberRecords(store, identity.nodeId());
        records.publish(recordAddresses(channel));
        KnownPeers known = KnownPeers.load(root, settings.peers());
        InboundPeers inbound = InboundPeers.start(server, identity.volumeId(), identity.nodeId(),
                records::nodeOfKey);
        started.add(inbound);
        PeerSessions sessions = new PeerSessions(client, members, inbound);
        started.add(sessions);
        List<Membership> sources = new ArrayList<>();
        StaticPeers statics = StaticPeers.builder(identity.volumeId(), identity.nodeId(),
                        address -> client.anyMember(members, List.of(address)))
                .peers(known.addresses())
                .identities(records::nodeOfKey)
                .timeout(PROBE_TIMEOUT)
                .start();
        sources.add(statics);
        started.add(statics);
        StaticPeers recorded = StaticPeers.builder(identity.volumeId(), identity.nodeId(),
                        address -> client.anyMember(members, List.of(address)))
                .name("record")
                .threads(2)
                // a joiner's record reaches us before the commit that lets its key in: retry soon
                .backoff(Duration.ofSeconds(1), Duration.ofSeconds(5))
                .identities(records::nodeOfKey)
                .timeout(PROBE_TIMEOUT)
                .start();
        sources.add(recorded);
        started.add(recorded);
        MdnsDiscovery mdns = null;
        if (settings.mdns()) {
            InetAddress bind = settings.bind() != null ? settings.bind() : defaultBindAddress(reachable);
            mdns = MdnsDiscovery.start(bind, store.volume().name(), self);
            sources.add(mdns);
            MdnsDiscovery announcer = mdns;
            started.add(announcer::closeAsync);
        }
        sources.add(inbound);
        CompositeMembership membership = CompositeMembership.start(sources,
                Hello.probe(sessions::get, PROBE_TIMEOUT), PROBE_INTERVAL);
        started.add(membership);
        VolumeSync sync = new VolumeSync(store, identity.nodeId(), directory, SWEEP_INTERVAL);
        started.add(sync);
        NodeNetwork network = new NodeNetwork(server, client, membership, mdns, sync, sessions);
        started.add(network.upkeep::shutdownNow);
        network.swarm = swarm;
        network.selfAddresses = selfAddresses(channel.localAddress(), reachable);
        network.memberAddresses = network.selfAddresses;
        holder[0] = network;
        network.replicator = new Replicator(identity.nodeId(), hostId(), directory, membership, swarm, blocks,
                () -> replicationTarget(store), space::usable, contents, REPLICATION_INTERVAL, swarm.recentUse());
        started.add(network.replicator);
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
        started.add(network.scrub);
        server.register(ScrubService.NAME, network.scrub);
        server.register(StatusCommand.NAME, new StatusCommand(identity, store, network.peerTable, swarm,
                network.replicator, space, network.scrub));
        server.register(PeersCommand.NAME, new PeersCommand(membership));

        HostPort own = channel.localAddress();
        String ownHost = own.host();
        ReverseLinks links = new ReverseLinks(own,
                List.of(new HostPort(ownHost, swarm.port()), new HostPort(ownHost, swarm.streamPort())), hello,
                PROBE_TIMEOUT);
        membership.addListener(network.new Watcher(sync, links, known));
        if (mdns != null) {
            MdnsDiscovery announcer = mdns;
            store.addCommitListener(head -> announcer.update(head.name(), space.usable()));
        }
        Runnable followRecords = () -> {
            Set<HostPort> wanted = new HashSet<>();
            records.addresses().values().forEach(wanted::addAll);
            wanted.removeAll(statics.addresses());
            wanted.removeAll(reachable);
            recorded.replace(wanted);
        };
        store.addCommitListener(head -> network.upkeep.execute(followRecords));
        long tick = PROBE_INTERVAL.toMillis();
        network.upkeep.scheduleWithFixedDelay(() -> {
            try {
                followRecords.run();
                for (PeerInfo peer : membership.peers()) {
                    network.keepLink(links, peer);
                }
            } catch (RuntimeException e) {
                log.warn("member upkeep failed", e);
            }
        }, ThreadLocalRandom.current().nextLong(tick / 4, tick), tick, TimeUnit.MILLISECONDS);
        sync.start(server);
        network.replicator.start(REPLICATION_GRACE.plusMillis(ThreadLocalRandom.current().nextLong(1000)));
        log.info("channel listening on {} ({}), node key {}", server.address(), reachable, keys.fingerprint());
        return network;
    }

    /** Our record names the listen address (every IPv4 address of this host for 0.0.0.0) and every --advertise. */
    private static List<HostPort> recordAddresses(ChannelSettings channel)
            throws IOException {
        // reachable is --advertise when given, else the listen address: the record names both
        Set<HostPort> all = new LinkedHashSet<>(channel.advertiseAddresses());
        all.addAll(JoinSecret.reachableAddresses(new ChannelSettings(channel.listen(), List.of(), channel.btPort())));
        return new ArrayList<>(all);
    }

    /** A reverse link's forwards arrive from our own process, so BitTorrent and content streams admit us. */
    private static Set<InetAddress> selfAddresses(HostPort local, List<HostPort> reachable) {
        Set<InetAddress> own = new HashSet<>();
        resolveInto(local, own);
        reachable.forEach(a -> resolveInto(a, own));
        return Set.copyOf(own);
    }

    /** Over a session we opened, have the peer listen for us: unless we reach it by its own link. */
    private void keepLink(ReverseLinks links, PeerInfo peer) {
        if (!sessions.throughReverseLink(peer)) {
            links.keep(peer.nodeId(), sessions.get(peer));
        }
    }

    /** Recomputed when peers come and go, so an incoming BitTorrent connection resolves nothing. */
    private void refreshMemberAddresses() {
        Set<InetAddress> addresses = new HashSet<>(selfAddresses);
        for (PeerInfo peer : membership.peers()) {
            peer.addresses().forEach(a -> resolveInto(a, addresses));
        }
        memberAddresses = Set.copyOf(addresses);
    }

    private static void resolveInto(HostPort address, Set<InetAddress> into) {
        try {
            into.add(InetAddress.getByName(address.host()));
        } catch (IOException e) {
            // a name that does not resolve admits nobody
        }
    }

    /** Membership news: sync pulls, the status table, links and remembered addresses. */
    private final class Watcher implements MembershipListener {
        private final VolumeSync sync;
        private final ReverseLinks links;
        private final KnownPeers known;

        Watcher(VolumeSync sync, ReverseLinks links, KnownPeers known) {
            this.sync = sync;
            this.links = links;
            this.known = known;
        }

        @Override
        public void peerUp(PeerInfo peer) {
            peerTable.up(peer);
            log.info("peer {} is up at {}", peer.shortId(), peer.addresses());
            refreshMemberAddresses();
            routeChanged(peer);
            sync.pullSoon(peer.nodeId());
        }

        @Override
        public void peerChanged(PeerInfo peer) {
            peerTable.up(peer);
            refreshMemberAddresses();
            routeChanged(peer);
            if (!peer.head().isEmpty()) {
                sync.pullSoon(peer.nodeId());
            }
        }

        @Override
        public void peerDown(PeerInfo peer) {
            peerTable.down(peer);
            log.info("peer {} is down", peer.shortId());
            refreshMemberAddresses();
            links.forget(peer.nodeId());
            sessions.drop(peer.nodeId());
        }

        private void routeChanged(PeerInfo peer) {
            if (!sessions.throughReverseLink(peer)) {
                known.learn(peer.nodeId(), peer.addresses());
            }
            try {
                upkeep.execute(() -> keepLink(links, peer));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
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
        return sessions.get(peer);
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

        /** Addresses of the peers that are up and our own, for the BitTorrent acceptor and content streams. */
        Set<InetAddress> memberAddresses() {
            NodeNetwork net = network[0];
            return net == null ? Set.of() : net.memberAddresses;
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
        upkeep.shutdownNow();
        closeQuietly(scrub);
        closeQuietly(replicator);
        closeQuietly(sync);
        closeQuietly(swarm);
        try {
            membership.close();
        } catch (RuntimeException e) {
            log.debug("closing the membership: {}", e.toString());
        }
        closeQuietly(sessions);
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
