package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.PeerDirectory;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentStreamClient;
import dev.delugefs.swarm.ContentWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches content from peers without BitTorrent: small content whole, and single pieces, over a holder's
 * content stream with a ticket asked for on the channel ({@code content-ticket}), the channel itself
 * ({@code content}) as the fallback for whole content. Every byte is checked against the piece hashes.
 */
final class StreamFetcher {
    private static final Logger log = LoggerFactory.getLogger(StreamFetcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockStore blocks;
    private final PeerDirectory peers;
    private final HolderFinder holders;
    private final Duration timeout;
    private final AtomicLong byStream = new AtomicLong();
    private final AtomicLong byChannel = new AtomicLong();
    private final AtomicLong hashFailures = new AtomicLong();

    StreamFetcher(BlockStore blocks, PeerDirectory peers, HolderFinder holders, Duration timeout) {
        this.blocks = blocks;
        this.peers = peers;
        this.holders = holders;
        this.timeout = timeout;
    }

    /**
     * The peers to ask: every peer that is up, known holders first (one without the content says so at
     * once). No swarm-offer first: it would start a torrent on the holder for nothing.
     */
    List<PeerDirectory.PeerLink> candidates(ContentInfo content) {
        // the links of peers up now: a known holder's link may be to a session that closed since
        Set<String> known = new HashSet<>();
        holders.known(content).forEach(h -> known.add(h.link().nodeId()));
        List<PeerDirectory.PeerLink> candidates = new ArrayList<>(peers.peers());
        candidates.sort(Comparator.comparing(peer -> !known.contains(peer.nodeId())));
        return candidates;
    }

    /**
     * Fetches small content whole from the first holder that sends bytes with the right piece hashes, and
     * stores it complete (sealing checks the hashes; bytes that fail are counted and left to the
     * garbage collector).
     */
    void fetchWhole(ContentInfo content) throws IOException {
        List<PeerDirectory.PeerLink> candidates = candidates(content);
        for (PeerDirectory.PeerLink peer : candidates) {
            try {
                byte[] bytes = wholeFrom(peer, content);
                if (bytes == null || bytes.length != content.length()) {
                    if (bytes != null) {
                        log.debug("peer {} sent {} bytes of {}", peer.nodeId(), bytes.length, content.id());
                    }
                    continue;
                }
                ContentInfo got;
                try (ContentWriter writer = blocks.create(content.pieceLength())) {
                    writer.write(ByteBuffer.wrap(bytes), 0);
                    got = writer.seal();
                }
                if (got.id().equals(content.id())) {
                    return;
                }
                hashFailures.incrementAndGet();
                log.warn("peer {} sent bytes of {} that hash to {}: dropped", peer.nodeId(), content.id(), got.id());
            } catch (IOException e) {
                log.warn("could not fetch {} from peer {}: {}", content.id(), peer.nodeId(), e.toString());
            }
        }
        holders.forget(content);
        String message = candidates.isEmpty()
                ? "content " + content.id() + " is not stored on this node, and no peer is up"
                : "content " + content.id() + " is not stored on this node, and no peer that is up sent it intact";
        log.warn(message);
        throw new FsException(Errno.EIO, message);
    }

    /** Fetches one piece of partial content here from the first of {@code from} that sends it intact. */
    boolean fetchPiece(ContentInfo content, int piece, List<PeerDirectory.PeerLink> from) throws IOException {
        long offset = (long) piece * content.pieceLength();
        long length = Math.min(content.pieceLength(), content.length() - offset);
        for (PeerDirectory.PeerLink peer : from) {
            try {
                ExecResult ticket = peer.session().exec(NodeSwarm.CONTENT_TICKET + " " + content.id() + " " + offset
                        + " " + length, new byte[0], timeout);
                if (!ticket.succeeded()) {
                    continue;  // not a holder
                }
                if (blocks.writePiece(content, piece, overStream(peer, ticket, length))) {
                    return true;
                }
                hashFailures.incrementAndGet();
                log.warn("peer {} sent piece {} of {} with the wrong hash", peer.nodeId(), piece, content.id());
            } catch (IOException e) {
                log.info("could not fetch piece {} of {} from peer {}: {}", piece, content.id(), peer.nodeId(),
                        e.getMessage());
            }
        }
        return false;
    }

    /** The bytes of small content from one peer; null if the peer does not hold it. */
    private byte[] wholeFrom(PeerDirectory.PeerLink peer, ContentInfo content) throws IOException {
        ExecResult ticket = peer.session().exec(NodeSwarm.CONTENT_TICKET + " " + content.id(), new byte[0], timeout);
        if (ticket.succeeded()) {
            try {
                byte[] bytes = overStream(peer, ticket, content.length());
                byStream.incrementAndGet();
                return bytes;
            } catch (IOException e) {
                log.info("content stream of peer {} failed ({}); fetching {} over the channel", peer.nodeId(),
                        e.getMessage(), content.id());
            }
        } else if (ticket.exitStatus() != 127) {  // 127: an older node, without content-ticket
            log.debug("peer {} has no {}: {}", peer.nodeId(), content.id(), ticket.stderrText().strip());
            return null;
        }
        ExecResult result = peer.session().exec(NodeSwarm.CONTENT + " " + content.id(), new byte[0], timeout);
        if (!result.succeeded()) {
            log.debug("peer {} did not send {}: {}", peer.nodeId(), content.id(), result.stderrText().strip());
            return null;
        }
        byChannel.incrementAndGet();
        return result.stdout();
    }

    /** The bytes a ticket names, from the content stream of the peer that issued it. */
    private byte[] overStream(PeerDirectory.PeerLink peer, ExecResult ticket, long length) throws IOException {
        JsonNode answer = JSON.readTree(ticket.stdout());
        // where the channel reached the peer reaches its content stream too, directly or by its reverse link
        return ContentStreamClient.fetch(peer.session().reach(answer.path("port").asInt()),
                answer.path("ticket").asText(), length, timeout);
    }

    long byStream() {
        return byStream.get();
    }

    long byChannel() {
        return byChannel.get();
    }

    /** Whole contents and pieces that came with bytes not matching their hashes. */
    long hashFailures() {
        return hashFailures.get();
    }
}
