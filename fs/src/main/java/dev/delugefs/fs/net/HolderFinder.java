package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.metadata.PeerDirectory;
import dev.delugefs.swarm.ContentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Which peers hold a content complete: every peer that is up is asked {@code swarm-offer} at once, which
 * also makes a holder serve it. Answers are kept for a while, and forgotten when a fetch from them fails.
 */
final class HolderFinder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HolderFinder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration OFFER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TTL = Duration.ofSeconds(30);

    /** A peer holding the content: its channel, and where its BitTorrent runtime listens. */
    record Holder(PeerDirectory.PeerLink link, InetSocketAddress btAddress) {
    }

    private record Answer(List<Holder> holders, long askedAtNanos) {
    }

    private final PeerDirectory peers;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final ExecutorService asking = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "swarm-offers");
        t.setDaemon(true);
        return t;
    });

    HolderFinder(PeerDirectory peers) {
        this.peers = peers;
    }

    /** The holders of {@code content}, asked now unless asked recently; empty if no peer that is up holds it. */
    List<Holder> holders(ContentInfo content) {
        Answer known = answers.get(content.id());
        if (known != null && System.nanoTime() - known.askedAtNanos < TTL.toNanos() && !known.holders.isEmpty()) {
            return known.holders;
        }
        byte[] description = NodeSwarm.describe(content);
        List<CompletableFuture<Holder>> asked = new ArrayList<>();
        for (PeerDirectory.PeerLink peer : peers.peers()) {
            asked.add(CompletableFuture.supplyAsync(() -> ask(peer, content, description), asking));
        }
        List<Holder> found = new ArrayList<>();
        for (CompletableFuture<Holder> answer : asked) {
            Holder holder = answer.join();
            if (holder != null) {
                found.add(holder);
            }
        }
        answers.put(content.id(), new Answer(List.copyOf(found), System.nanoTime()));
        return found;
    }

    /** The holders known from an earlier answer, without asking. */
    List<Holder> known(ContentInfo content) {
        Answer known = answers.get(content.id());
        return known == null ? List.of() : known.holders;
    }

    /** A fetch from the known holders failed: ask again next time, one may have gone. */
    void forget(ContentInfo content) {
        answers.remove(content.id());
    }

    private static Holder ask(PeerDirectory.PeerLink peer, ContentInfo content, byte[] description) {
        try {
            ExecResult result = peer.session().exec(NodeSwarm.OFFER + " " + content.id(), description, OFFER_TIMEOUT);
            if (!result.succeeded()) {
                log.warn("peer {} refused {} of {}: {}", peer.nodeId(), NodeSwarm.OFFER, content.id(),
                        result.stderrText().strip());
                return null;
            }
            JsonNode answer = JSON.readTree(result.stdout());
            if (!answer.path("have").asBoolean()) {
                return null;
            }
            // where the channel reached the peer reaches its BitTorrent port too, directly or by its reverse link
            return new Holder(peer, peer.session().reach(answer.path("btPort").asInt()));
        } catch (IOException | RuntimeException e) {
            log.debug("could not ask peer {} for {}: {}", peer.nodeId(), content.id(), e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        asking.shutdownNow();
    }
}
