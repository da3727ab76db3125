package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.PeerInfoJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * This node's side of reverse links: over the session we opened to a member, have it listen on its loopback
 * for our channel, BitTorrent and content stream ports, and tell it so ({@link InboundPeers#COMMAND}). Then
 * the member reaches us even when it cannot dial us (NAT, a firewall that drops inbound connections).
 *
 * <p>Every member gets one, whether or not it could dial us: we cannot know from here, it costs three idle
 * listening sockets, and the member prefers a direct route when it has one. A link dies with the connection
 * that carries it, so {@link #keep} sets it up again whenever the session was replaced.
 */
public final class ReverseLinks {
    private static final Logger LOG = LoggerFactory.getLogger(ReverseLinks.class);

    private final HostPort channel;
    private final List<HostPort> otherPorts;
    private final Supplier<PeerInfo> self;
    private final Duration timeout;
    /** Per member: the connection number its link was set up on. */
    private final Map<String, Long> linked = new ConcurrentHashMap<>();
    private final Map<String, String> lastProblem = new ConcurrentHashMap<>();

    /**
     * @param channel    our channel server, as our own process connects to it
     * @param otherPorts the other servers the member may need to reach (BitTorrent, content streams)
     * @param self       our hello answer, sent along so the member knows us without asking back
     */
    public ReverseLinks(HostPort channel, List<HostPort> otherPorts, Supplier<PeerInfo> self, Duration timeout) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.otherPorts = List.copyOf(otherPorts);
        this.self = Objects.requireNonNull(self, "self");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Makes sure {@code session} carries our link to {@code nodeId}; cheap when it already does. Blocks on the
     * network when it does not: call it from a background thread.
     */
    public void keep(String nodeId, PeerSession session) {
        try {
            session.session();
            long connection = session.connection();
            Long done = linked.get(nodeId);
            if (done != null && done == connection) {
                return;
            }
            open(session);
            if (session.connection() == connection) {
                linked.put(nodeId, connection);
            }
            if (lastProblem.remove(nodeId) != null || done == null) {
                LOG.info("reverse link to {} is open", session);
            }
        } catch (IOException | RuntimeException e) {
            String problem = e.getMessage();
            if (!Objects.equals(lastProblem.put(nodeId, String.valueOf(problem)), String.valueOf(problem))) {
                LOG.warn("could not open a reverse link to {}: {}", session, problem);
            }
        }
    }

    /** The member is gone: its next session needs a new link. */
    public void forget(String nodeId) {
        linked.remove(nodeId);
    }

    private void open(PeerSession session) throws IOException {
        List<String> words = new ArrayList<>();
        words.add(InboundPeers.COMMAND);
        words.add(Integer.toString(session.forwardBack(channel)));
        for (HostPort port : otherPorts) {
            words.add(port.port() + "=" + session.forwardBack(port));
        }
        ExecResult answer = session.exec(String.join(" ", words), PeerInfoJson.write(self.get()), timeout);
        if (!answer.succeeded()) {
            throw new IOException(InboundPeers.COMMAND + " answered " + answer.exitStatus() + ": "
                    + answer.stderrText().strip());
        }
    }
}
