package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.DaemonThreads;
import dev.delugefs.discovery.internal.PeerInfoJson;
import dev.delugefs.discovery.internal.PeerSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;

/**
 * Members that reached us and opened a reverse link ({@link ReverseLinks}): the ports they had us forward
 * back to them over their session are how we reach them, so a node behind NAT or a firewall that drops
 * inbound connections is a full peer. The link is theirs to keep: it ends with the session that carries it.
 *
 * <p>A link names the node by the key that logged in, never by what the request says: a member that claims
 * another member's id is refused and logged.
 */
public final class InboundPeers implements Membership {
    public static final String COMMAND = "reverse-link";
    private static final Logger LOG = LoggerFactory.getLogger(InboundPeers.class);
    private static final int EXIT_REFUSED = 1;
    private static final int EXIT_USAGE = 2;

    /**
     * How to reach one member back: {@code channel} is its channel server seen from here, {@code ports} maps
     * its other ports (BitTorrent, content streams) to where they are forwarded on our loopback.
     */
    public record Link(String nodeId, PeerIdentity via, HostPort channel, Map<Integer, Integer> ports) {
        public Link {
            ports = Map.copyOf(ports);
        }

        /** Where a port of the member is reached from here; 0 when the member did not forward it. */
        public int port(int theirs) {
            return ports.getOrDefault(theirs, 0);
        }
    }

    private final String volumeId;
    private final String selfNodeId;
    private final Function<String, Optional<String>> nodeOfKey;
    private final ExecutorService delivery = DaemonThreads.single("delugefs-inbound-events");
    private final PeerSet peers = new PeerSet(delivery);
    private final Map<String, Link> links = new ConcurrentHashMap<>();

    private InboundPeers(String volumeId, String selfNodeId, Function<String, Optional<String>> nodeOfKey) {
        this.volumeId = Objects.requireNonNull(volumeId, "volumeId");
        this.selfNodeId = Objects.requireNonNull(selfNodeId, "selfNodeId");
        this.nodeOfKey = Objects.requireNonNull(nodeOfKey, "nodeOfKey");
    }

    /**
     * Serves {@link #COMMAND} on {@code server}.
     *
     * @param nodeOfKey the member node id of a key fingerprint, from the volume's member keys
     */
    public static InboundPeers start(ChannelServer server, String volumeId, String selfNodeId,
                                     Function<String, Optional<String>> nodeOfKey) {
        InboundPeers inbound = new InboundPeers(volumeId, selfNodeId, nodeOfKey);
        server.register(COMMAND, inbound::handle);
        server.onSessionClosed(inbound::sessionClosed);
        return inbound;
    }

    /** The live link of that member, if it opened one. */
    public Optional<Link> link(String nodeId) {
        return Optional.ofNullable(links.get(nodeId));
    }

    @Override
    public String name() {
        return "inbound";
    }

    @Override
    public Collection<PeerInfo> peers() {
        return peers.peers();
    }

    @Override
    public Optional<PeerInfo> peer(String nodeId) {
        return peers.peer(nodeId);
    }

    @Override
    public void addListener(MembershipListener listener) {
        peers.addListener(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void close() {
        delivery.shutdown();
    }

    /** {@code reverse-link CHANNEL_PORT [THEIR_PORT=OUR_PORT ...]}, the member's hello answer on stdin. */
    private int handle(CommandRequest request) throws IOException {
        byte[] hello = request.stdin().readNBytes(64 * 1024);
        Map<Integer, Integer> ports = new HashMap<>();
        int channelPort;
        PeerInfo claimed;
        try {
            if (request.args().isEmpty()) {
                throw new IllegalArgumentException("no channel port");
            }
            channelPort = port(request.args().get(0));
            for (String pair : request.args().subList(1, request.args().size())) {
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("not THEIRS=OURS: " + pair);
                }
                ports.put(port(pair.substring(0, eq)), port(pair.substring(eq + 1)));
            }
            claimed = PeerInfoJson.read(hello, Instant.now());
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("refused {} from {}: {}", COMMAND, request.peer().remoteAddress(), e.getMessage());
            return fail(request, EXIT_USAGE, "usage: " + COMMAND + " CHANNEL_PORT [THEIRS=OURS ...], hello JSON on"
                    + " stdin: " + e.getMessage());
        }
        Optional<String> keyOwner = nodeOfKey.apply(request.peer().id());
        if (keyOwner.isEmpty() || !keyOwner.get().equals(claimed.nodeId())) {
            LOG.warn("refused {} from {}: it logged in with the key of node {} but claims to be node {}", COMMAND,
                    request.peer().remoteAddress(), keyOwner.orElse("(none)"), claimed.shortId());
            return fail(request, EXIT_REFUSED, "you are not node " + claimed.nodeId());
        }
        if (!claimed.volumeId().equals(volumeId) || claimed.nodeId().equals(selfNodeId)) {
            LOG.warn("refused {} from {}: node {} of volume {}", COMMAND, request.peer().remoteAddress(),
                    claimed.shortId(), claimed.volumeId());
            return fail(request, EXIT_REFUSED, "not a peer of this node");
        }
        HostPort channel = new HostPort("127.0.0.1", channelPort);
        Link link = new Link(claimed.nodeId(), request.peer(), channel, ports);
        PeerInfo reached = claimed.withAddresses(List.of(channel))
                .withBtPort(link.port(claimed.btPort()));
        Link before = links.put(claimed.nodeId(), link);
        if (before == null || !before.channel().equals(channel)) {
            LOG.info("node {} is reachable back through its session from {} (channel at {})", claimed.shortId(),
                    request.peer().remoteAddress(), channel);
        }
        peers.report(this, reached);
        return 0;
    }

    private void sessionClosed(PeerIdentity session) {
        links.values().removeIf(link -> {
            if (!link.via().equals(session)) {
                return false;
            }
            LOG.info("reverse link of node {} closed with its session", link.nodeId());
            peers.withdraw(this, link.nodeId());
            return true;
        });
    }

    private static int port(String text) {
        int port = Integer.parseInt(text.strip());
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + text);
        }
        return port;
    }

    private static int fail(CommandRequest request, int status, String message) throws IOException {
        request.stderr().write((message + "\n").getBytes(StandardCharsets.UTF_8));
        return status;
    }
}
