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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Which peers hold a content complete: every peer that is up is asked {@code swarm-offer} at once, which
 * also makes a holder serve it. Answers are kept for a while, and forgotten when a fetch from them fails.
 * An answer that found nobody is kept briefly while the same peers are up: the kernel retries a failed
 * read at once, and asking peers that just did not answer again would make one read wait twice.
 */
final class HolderFinder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HolderFinder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration OFFER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration NOBODY_TTL = Duration.ofSeconds(3);

    /** A peer holding the content: its channel, and where its BitTorrent runtime listens. */
    record Holder(PeerDirectory.PeerLink link, InetSocketAddress btAddress) {
    }

    private record Answer(List<Holder> holders, long askedAtNanos, Set<String> asked) {
    }

    private final PeerDirectory peers;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final ExecutorService asking = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "swarm-offers");
        t.setDaemon(true);
        return t;
    });

    private final Duration offerTimeout;

    /** @param readTimeout how long a read may wait: asking never takes longer */
    HolderFinder(PeerDirectory peers, Duration readTimeout) {
        this.peers = peers;
        this.offerTimeout = readTimeout.compareTo(OFFER_TIMEOUT) < 0 ? readTimeout : OFFER_TIMEOUT;
    }

    /** The holders of {@code content}, asked now unless asked recently; empty if no peer that is up holds it. */
    List<Holder> holders(ContentInfo content) {
        Answer known = answers.get(content.id());
        List<PeerDirectory.PeerLink> up = peers.peers();
        Set<String> upIds = new HashSet<>();
        up.forEach(p -> upIds.add(p.nodeId()));
        if (known != null) {
            long age = System.nanoTime() - known.askedAtNanos;
            if (!known.holders.isEmpty() ? age < TTL.toNanos()
                    : age < NOBODY_TTL.toNanos() && known.asked.equals(upIds)) {
                return known.holders;
            }
        }
        byte[] description = NodeSwarm.describe(content);
        List<CompletableFuture<Holder>> asked = new ArrayList<>();
        for (PeerDirectory.PeerLink peer : up) {
            asked.add(CompletableFuture.supplyAsync(() -> ask(peer, content, description), asking));
        }
        List<Holder> found = new ArrayList<>();
        for (CompletableFuture<Holder> answer : asked) {
            Holder holder = answer.join();
            if (holder != null) {
                found.add(holder);
            }
        }
        answers.put(content.id(), new Answer(List.copyOf(found), System.nanoTime(), Set.copyOf(upIds)));
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

    private Holder ask(PeerDirectory.PeerLink peer, ContentInfo content, byte[] description) {
        try {
            ExecResult result = peer.session().exec(NodeSwarm.OFFER + " " + content.id(), description, offerTimeout);
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
