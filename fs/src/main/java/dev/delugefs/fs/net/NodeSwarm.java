package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.fs.vfs.ContentNetwork;
import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.PeerDirectory;
import dev.delugefs.replication.RecentUse;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import dev.delugefs.swarm.ContentStreamServer;
import dev.delugefs.swarm.SwarmRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The node's side of the data plane (DESIGN.md §8): its BitTorrent runtime, which peers hold a content
 * (asked over the channel with {@code swarm-offer}, which also makes the holder serve it), and reads of
 * content held elsewhere. Only members get in: addresses of peers in the membership, and addresses that
 * asked for an offer over the authenticated channel.
 */
public final class NodeSwarm implements ContentNetwork, Closeable {
    private static final Logger log = LoggerFactory.getLogger(NodeSwarm.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String OFFER = "swarm-offer";
    static final String PIN = "pin";
    static final String CONTENT = "content";
    static final String CONTENT_TICKET = "content-ticket";
    static final String MIRROR = "please-mirror";
    static final String STOP_MIRRORING = "please-stop-mirroring";
    /**
     * Content up to this size is fetched whole from one holder over the channel, checked against its piece
     * hashes like any piece: a torrent costs 100–200 ms to start in bt 1.10 (it polls for the handshake
     * every 100 ms), more than such a file takes to send.
     */
    static final long DIRECT_MAX = 4L * 1024 * 1024;
    private static final Duration OFFER_TIMEOUT = Duration.ofSeconds(5);
    /** Fetches of whole contents (pins and mirrors) at once, and how many more may wait for their turn. */
    static final int MAX_FETCHES = 4;
    static final int MAX_QUEUED = 256;
    /** Further nodes a mirror request may name: as many as the largest replication target. */
    static final int MAX_CHAIN = 16;
    private static final java.util.regex.Pattern NODE_ID = java.util.regex.Pattern.compile("[0-9a-f]{32}");
    private static final Duration HOLDERS_TTL = Duration.ofSeconds(30);
    /**
     * A sequential read also fetches the pieces of the next this many bytes, so the reader rarely waits; a
     * random one fetches only what it reads, so its pieces do not queue behind read-ahead.
     */
    private static final long READ_AHEAD = 16L * 1024 * 1024;
    /** Reads this close to where the last one ended count as sequential (the kernel reorders a little). */
    private static final long SEQUENTIAL_SLACK = 1024 * 1024;

    private final SwarmRuntime swarm;
    private final BlockStore blocks;
    private final PeerDirectory peers;
    private final Supplier<Set<InetAddress>> memberAddresses;
    private final Duration readTimeout;
    private final Set<InetAddress> offeredTo = ConcurrentHashMap.newKeySet();
    private final HolderFinder holders;
    /** Direct fetches under way, so that a read and a prefetch of one content fetch it once. */
    private final Map<String, CompletableFuture<Void>> directFetches = new ConcurrentHashMap<>();
    private final java.util.concurrent.ThreadPoolExecutor prefetching = pool("prefetch", 2, 32,
            new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
    private final StreamFetcher direct;
    /** Pieces fetched ahead of a sequential reader of content read piece by piece ({@link #fetchAhead}). */
    private final Set<String> piecesAhead = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ThreadPoolExecutor readingAhead = pool("read-ahead", 2, 32,
            new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
    private final Map<String, CompletableFuture<?>> pins = new ConcurrentHashMap<>();
    /** Copies found damaged here and not whole again yet: their pieces come by {@link #fetchPieces}. */
    private final Set<String> reopened = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ThreadPoolExecutor wholeFetches = pool("whole-fetch", MAX_FETCHES, MAX_QUEUED,
            new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());

    /** Further targets of mirror requests, asked in turn once the content is here (dfserve's chained list). */
    private final Map<String, List<String>> chains = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService chaining = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
                Thread t = new Thread(r, "mirror-chain");
                t.setDaemon(true);
                return t;
            });

    private final java.util.function.IntSupplier target;
    private final java.util.function.LongSupplier freeBytes;
    private final RecentUse recentUse;

    private final ContentStreamServer streams;

    private NodeSwarm(SwarmRuntime swarm, ContentStreamServer streams, BlockStore blocks, PeerDirectory peers,
                      Supplier<Set<InetAddress>> memberAddresses, Duration readTimeout,
                      java.util.function.IntSupplier target, java.util.function.LongSupplier freeBytes,
                      RecentUse recentUse) {
        this.streams = streams;
        this.target = target;
        this.freeBytes = freeBytes;
        this.recentUse = recentUse;
        this.swarm = swarm;
        this.blocks = blocks;
        this.peers = peers;
        this.memberAddresses = memberAddresses;
        this.readTimeout = readTimeout;
        this.holders = new HolderFinder(peers, readTimeout);
        this.direct = new StreamFetcher(blocks, peers, holders, readTimeout);
    }

    /**
     * Starts the runtime on {@code address}:{@code port} (0: a free port) and registers {@code swarm-offer}.
     *
     * @throws java.net.BindException if the port is taken
     */
    static NodeSwarm start(BlockStore blocks, InetAddress address, int port, PeerDirectory peers,
                           Supplier<Set<InetAddress>> memberAddresses, Duration readTimeout, ChannelServer server,
                           java.util.function.IntSupplier target, java.util.function.LongSupplier freeBytes,
                           RecentUse recentUse) throws IOException {
        NodeSwarm[] self = new NodeSwarm[1];
        SwarmRuntime runtime = SwarmRuntime.open(blocks, address, port, remote -> self[0].admits(remote));
        ContentStreamServer streams;
        try {
            streams = ContentStreamServer.start(blocks, address, remote -> self[0].admits(remote));
        } catch (IOException e) {
            runtime.close();
            throw e;
        }
        self[0] = new NodeSwarm(runtime, streams, blocks, peers, memberAddresses, readTimeout, target, freeBytes,
                recentUse);
        server.register(OFFER, self[0]::offer);
        server.register(PIN, self[0]::pin);
        server.register(CONTENT, self[0]::content);
        server.register(CONTENT_TICKET, self[0]::contentTicket);
        server.register(MIRROR, self[0]::mirror);
        server.register(STOP_MIRRORING, self[0]::stopMirroring);
        return self[0];
    }

    /** {@code threads} daemon threads named {@code name}, at most {@code queued} tasks waiting, then {@code full}. */
    private static java.util.concurrent.ThreadPoolExecutor pool(String name, int threads, int queued,
                                                                java.util.concurrent.RejectedExecutionHandler full) {
        return new java.util.concurrent.ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(queued), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                }, full);
    }

    /** The port of the content stream server, on the same host as BitTorrent's. */
    public int streamPort() {
        return streams.port();
    }

    public int port() {
        return swarm.localAddress().getPort();
    }

    /** Content read or fetched here lately, whose copy replication keeps. */
    RecentUse recentUse() {
        return recentUse;
    }

    @Override
    public void reading(String contentId) {
        recentUse.use(contentId);
    }

    private boolean admits(InetAddress remote) {
        boolean admitted = offeredTo.contains(remote) || memberAddresses.get().contains(remote);
        if (!admitted) {
            log.warn("refused a BitTorrent connection from {}: not a member of the volume", remote.getHostAddress());
        }
        return admitted;
    }

    /**
     * {@code swarm-offer ID} with the content's length, piece length and pieces as JSON on stdin: answers
     * whether this node holds it complete, and if so serves it and names the port.
     */
    private int offer(CommandRequest request) throws IOException {
        ContentInfo content = describedContent(request);
        if (content == null) {
            return 2;
        }
        InetAddress asker = remoteAddress(request.peer().remoteAddress());
        if (asker != null) {
            offeredTo.add(asker);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        boolean have = blocks.has(content.id());
        if (have) {
            try {
                swarm.seed(content);
            } catch (IOException e) {
                have = false;  // collected meanwhile
            }
        }
        answer.put("have", have);
        answer.put("btPort", port());
        request.stdout().write(JSON.writeValueAsBytes(answer));
        request.stdout().write('\n');
        return 0;
    }

    /**
     * {@code pin ID} with the content described on stdin as for {@code swarm-offer}: starts fetching it
     * whole if it is not here, and answers how far it is; the CLI asks again until it is complete.
     */
    private int pin(CommandRequest request) throws IOException {
        ContentInfo content = describedContent(request);
        if (content == null) {
            return 2;
        }
        return reply(request, pinState(content));
    }

    /**
     * {@code please-mirror ID [NODE-ID...]}, content described on stdin: a peer asks this node to keep a
     * copy (DESIGN §9), and, once it has one, to pass the request on to the first of the further nodes
     * that takes it, with the rest of the list. Refused when the copy would not fit, or when the queue of
     * fetches is full; otherwise as {@code pin}.
     */
    private int mirror(CommandRequest request) throws IOException {
        ContentInfo content = describedContent(request, MAX_CHAIN);
        if (content == null) {
            return 2;
        }
        List<String> then = request.args().subList(1, request.args().size());
        for (String node : then) {
            if (!NODE_ID.matcher(node).matches()) {
                complain(request, MIRROR + ": not a node id (32 hex digits): " + node);
                return 2;
            }
        }
        boolean here = blocks.has(content.id());
        if (!here && freeBytes.getAsLong() <= content.length()) {
            complain(request, MIRROR + ": no room for " + content.length() + " bytes");
            return 1;
        }
        if (!then.isEmpty()) {
            chains.merge(content.id(), List.copyOf(then),
                    (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).distinct().toList());
        }
        Map<String, Object> answer = pinState(content);
        if (answer.containsKey("error")) {
            chains.remove(content.id());
            complain(request, MIRROR + ": " + answer.get("error"));
            return 1;
        }
        if (Boolean.TRUE.equals(answer.get("complete"))) {
            passOn(content);
        }
        if (!then.isEmpty()) {
            answer.put("then", then);
        }
        return reply(request, answer);
    }

    /** Asks the next nodes of the content's chain, if any, in turn until one takes the request. */
    private void passOn(ContentInfo content) {
        List<String> chain = chains.remove(content.id());
        if (chain == null || chain.isEmpty()) {
            return;
        }
        chaining.execute(() -> {
            for (int i = 0; i < chain.size(); i++) {
                String next = chain.get(i);
                PeerDirectory.PeerLink link = peers.peers().stream().filter(p -> p.nodeId().equals(next))
                        .findFirst().orElse(null);
                if (link == null) {
                    log.info("cannot pass on {} of {} to {}: not up", MIRROR, content.id(), next);
                    continue;
                }
                List<String> rest = chain.subList(i + 1, chain.size());
                String command = String.join(" ", java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(MIRROR, content.id()), rest.stream()).toList());
                try {
                    ExecResult result = link.session().exec(command, describe(content), OFFER_TIMEOUT);
                    if (result.succeeded()) {
                        log.info("passed {} of {} on to {}{}", MIRROR, content.id(), next,
                                rest.isEmpty() ? "" : ", then " + rest);
                        return;
                    }
                    log.info("{} refused {} of {}: {}", next, MIRROR, content.id(), result.stderrText().strip());
                } catch (IOException | RuntimeException e) {
                    log.info("could not pass on {} of {} to {}: {}", MIRROR, content.id(), next, e.toString());
                }
            }
            log.warn("no node of the chain {} took {} of {}", chain, MIRROR, content.id());
        });
    }

    /**
     * {@code please-stop-mirroring ID}, content described on stdin: drops this node's copy, but only if
     * the peers that are up still hold at least the volume's target of copies without it.
     */
    private int stopMirroring(CommandRequest request) throws IOException {
        ContentInfo content = describedContent(request);
        if (content == null) {
            return 2;
        }
        return reply(request, Map.of("dropped", dropIfEnoughElsewhere(content)));
    }

    /** Drops the local copy if enough others remain, counted afresh. */
    boolean dropIfEnoughElsewhere(ContentInfo content) throws IOException {
        if (!blocks.has(content.id()) || pins.containsKey(content.id())) {
            return false;
        }
        if (recentUse.isRecent(content.id())) {
            log.info("kept {}: read or fetched here within the last {} s", content.id(),
                    recentUse.window().toSeconds());
            return false;
        }
        holders.forget(content);
        int elsewhere = holders.holders(content).size();
        if (elsewhere < target.getAsInt()) {
            log.info("kept {}: {} other copies, the target is {}", content.id(), elsewhere, target.getAsInt());
            return false;
        }
        swarm.drop(content.id());
        boolean dropped = blocks.delete(content.id());
        if (dropped) {
            log.info("dropped the copy of {}: {} other copies remain", content.id(), elsewhere);
        }
        return dropped;
    }

    private static int reply(CommandRequest request, Map<String, Object> answer) throws IOException {
        request.stdout().write(JSON.writeValueAsBytes(answer));
        request.stdout().write('\n');
        return 0;
    }

    /**
     * Content found damaged on this disk and reopened as partial ({@link dev.delugefs.replication.Scrubber}):
     * its damaged pieces are fetched again, queued like a pin; if no peer holds them the fetch fails, and
     * replication or a read asks again later.
     */
    void refetch(ContentInfo content) {
        reopened.add(content.id());
        pinState(content);
    }

    /** Starts fetching the content whole if it is not here, and tells how far it is. */
    private Map<String, Object> pinState(ContentInfo content) {
        Map<String, Object> answer = new LinkedHashMap<>();
        boolean complete = blocks.has(content.id()) || content.length() == 0 && swarmFetchEmpty(content);
        CompletableFuture<?> running = complete ? null : pins.computeIfAbsent(content.id(), id -> startPin(content));
        if (running != null && running.isDone()) {
            pins.remove(content.id(), running);
            try {
                running.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                answer.put("error", cause.getMessage());
            }
            complete = blocks.has(content.id());
        }
        int verified = complete ? content.pieceCount() : 0;
        if (!complete && byPieces(content)) {
            try {
                verified = blocks.verifiedPieces(content).cardinality();
            } catch (IOException e) {
                // collected meanwhile: nothing verified
            }
        }
        for (SwarmRuntime.Transfer t : swarm.transfers()) {
            if (t.contentId().equals(content.id())) {
                verified = t.piecesVerified();
            }
        }
        answer.put("complete", complete);
        answer.put("piecesVerified", verified);
        answer.put("pieces", content.pieceCount());
        return answer;
    }

    private boolean swarmFetchEmpty(ContentInfo content) {
        swarm.fetch(content, List.of(), readTimeout).join();  // an empty content is made, not fetched
        return true;
    }

    /** Queues a whole-content fetch; it fails at once, saying why, when the queue is full. */
    private CompletableFuture<?> startPin(ContentInfo content) {
        CompletableFuture<ContentInfo> fetch = new CompletableFuture<>();
        try {
            wholeFetches.execute(() -> {
                if (byPieces(content)) {
                    fetchPieces(content, fetch);
                } else {
                    fetchWhole(content, fetch);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IOException("busy: " + MAX_FETCHES + " fetches of whole files "
                    + "run and " + MAX_QUEUED + " wait; ask again later"));
        }
        // done: forgotten at once (the content is here); failed: kept until someone asks, to tell them why
        fetch.whenComplete((done, failure) -> {
            if (failure == null) {
                pins.remove(content.id(), fetch);
                recentUse.use(content.id());
                passOn(content);
            } else if (chains.remove(content.id()) != null) {
                log.info("the fetch of {} failed, so its mirror chain stops here: {}", content.id(),
                        failure.toString());
            }
        });
        return fetch;
    }

    /** On a fetch thread: the whole content, from the peers that hold it now. */
    private void fetchWhole(ContentInfo content, CompletableFuture<ContentInfo> result) {
        // a whole file takes longer than a read: allow it at least 1 MiB/s
        Duration allowed = readTimeout.plusSeconds(content.length() >> 20);
        try {
            result.complete(swarm.fetch(content, peersFor(content), allowed)
                    .get(allowed.toMillis() + 5_000, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            result.completeExceptionally(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(e);
        } catch (IOException | TimeoutException | RuntimeException e) {
            result.completeExceptionally(e);
        }
    }

    /** {@code content ID}: the bytes of small content held complete here (up to {@link #DIRECT_MAX}). */
    private int content(CommandRequest request) throws IOException {
        if (request.args().size() != 1) {
            complain(request, "usage: " + CONTENT + " CONTENT-ID");
            return 2;
        }
        String id = request.args().get(0);
        try (ContentReader reader = blocks.open(id)) {
            if (reader.size() > DIRECT_MAX) {
                complain(request, CONTENT + ": " + id + " is larger than " + DIRECT_MAX + " bytes: fetch it by BitTorrent");
                return 1;
            }
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(64 * 1024);
            long offset = 0;
            int n;
            while ((n = reader.read(buffer.clear(), offset)) > 0) {
                request.stdout().write(buffer.array(), 0, n);
                offset += n;
            }
            return 0;
        } catch (java.nio.file.NoSuchFileException | IllegalArgumentException e) {
            complain(request, CONTENT + ": " + id + " is not stored here");
            return 1;
        }
    }

    /**
     * {@code content-ticket ID}: a ticket for the bytes of small content held complete here, to fetch from
     * the content stream port the answer names ({@link ContentStreamServer}).
     */
    private int contentTicket(CommandRequest request) throws IOException {
        List<String> args = request.args();
        long offset = 0;
        long wanted = -1;
        if (args.size() == 3) {
            try {
                offset = Long.parseLong(args.get(1));
                wanted = Long.parseLong(args.get(2));
            } catch (NumberFormatException e) {
                wanted = -2;
            }
        }
        if (args.size() != 1 && args.size() != 3 || args.size() == 3 && (offset < 0 || wanted < 0
                || wanted > BlockStore.MAX_PIECE_LENGTH)) {
            complain(request, "usage: " + CONTENT_TICKET + " CONTENT-ID [OFFSET LENGTH], LENGTH at most "
                    + BlockStore.MAX_PIECE_LENGTH);
            return 2;
        }
        String id = args.get(0);
        long length;
        try (ContentReader reader = blocks.open(id)) {
            length = reader.size();
        } catch (java.nio.file.NoSuchFileException | IllegalArgumentException e) {
            complain(request, CONTENT_TICKET + ": " + id + " is not stored here");
            return 1;
        }
        if (wanted < 0 && length > DIRECT_MAX) {
            complain(request, CONTENT_TICKET + ": " + id + " is larger than " + DIRECT_MAX + " bytes: fetch it by BitTorrent");
            return 1;
        }
        if (wanted >= 0 && offset + wanted > length) {
            complain(request, CONTENT_TICKET + ": " + id + " has only " + length + " bytes");
            return 1;
        }
        InetAddress asker = remoteAddress(request.peer().remoteAddress());
        if (asker != null) {
            offeredTo.add(asker);  // a member that asked over the channel: its connection is let in
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("port", streams.port());
        answer.put("ticket", wanted < 0 ? streams.ticket(id) : streams.ticket(id, offset, wanted));
        answer.put("length", wanted < 0 ? length : wanted);
        return reply(request, answer);
    }

    /**
     * Whether the content's pieces come one by one over the holders' content streams instead of by
     * BitTorrent: a copy found damaged here, and content whose torrent this runtime stopped before, which
     * bt 1.10 fetches again only after a long stall ({@link SwarmRuntime#canFetch}).
     */
    private boolean byPieces(ContentInfo content) {
        return reopened.contains(content.id()) || !swarm.canFetch(content.id());
    }

    /** On a fetch thread: every piece of the content not here yet, over the holders' content streams. */
    private void fetchPieces(ContentInfo content, CompletableFuture<ContentInfo> result) {
        try {
            blocks.startPartial(content);
            BitSet missing = new BitSet(content.pieceCount());
            missing.set(0, content.pieceCount());
            missing.andNot(blocks.verifiedPieces(content));
            List<PeerDirectory.PeerLink> from = direct.candidates(content);
            int fetched = 0;
            for (int piece = missing.nextSetBit(0); piece >= 0; piece = missing.nextSetBit(piece + 1)) {
                if (!direct.fetchPiece(content, piece, from)) {
                    throw new FsException(Errno.EIO, "no peer that is up sent piece " + piece + " of " + content.id()
                            + " intact; " + (missing.cardinality() - fetched) + " of its pieces are still missing here");
                }
                fetched++;
            }
            if (reopened.remove(content.id())) {
                log.info("repaired the damaged copy of {}: {} pieces fetched again", content.id(), fetched);
            }
            result.complete(content);
        } catch (IOException | RuntimeException e) {
            log.warn("could not fetch the missing pieces of {}: {}", content.id(), e.getMessage());
            result.completeExceptionally(e);
        }
    }

    /**
     * The content description {@code swarm-offer}, {@code pin}, {@code please-mirror} and
     * {@code please-stop-mirroring} read on stdin: its length, piece length and piece hashes, from which
     * the receiver recomputes and checks the id.
     */
    public static byte[] describe(ContentInfo content) {
        try {
            return JSON.writeValueAsBytes(Map.of("length", content.length(), "pieceLength", content.pieceLength(),
                    "pieces", Base64.getEncoder().encodeToString(content.pieces())));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The content an ID argument names, described on stdin; null after telling the client what is wrong. */
    private static ContentInfo describedContent(CommandRequest request) throws IOException {
        return describedContent(request, 0);
    }

    /** As above, for a command that takes up to {@code further} node ids after the content id. */
    private static ContentInfo describedContent(CommandRequest request, int further) throws IOException {
        if (request.args().isEmpty() || request.args().size() > 1 + further) {
            complain(request, "usage: " + request.name() + " CONTENT-ID" + (further > 0 ? " [NODE-ID...]" : "")
                    + " < {length,pieceLength,pieces}");
            return null;
        }
        ContentInfo content;
        try {
            JsonNode info = JSON.readTree(request.stdin());
            content = ContentInfo.of(info.get("length").asLong(), info.get("pieceLength").asInt(),
                    Base64.getDecoder().decode(info.get("pieces").asText()));
        } catch (IOException | RuntimeException e) {
            complain(request, request.name() + ": bad content description: " + e.getMessage());
            return null;
        }
        if (!content.id().equals(request.args().get(0))) {
            complain(request, request.name() + ": the pieces describe content " + content.id() + ", not "
                    + request.args().get(0));
            return null;
        }
        return content;
    }

    private static void complain(CommandRequest request, String message) throws IOException {
        request.stderr().write((message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static InetAddress remoteAddress(String text) {
        // a SocketAddress's toString: "/127.0.0.1:41234" or "host/10.0.0.2:41234"
        try {
            String s = text.substring(text.indexOf('/') + 1);
            int colon = s.lastIndexOf(':');
            return InetAddress.getByName(colon > 0 ? s.substring(0, colon) : s);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void prefetch(ContentInfo content) {
        if (content.length() == 0 || content.length() > DIRECT_MAX || blocks.has(content.id())
                || directFetches.containsKey(content.id()) || reopened.contains(content.id())) {
            return;
        }
        prefetching.execute(() -> {
            try {
                fetchDirectOnce(content);
            } catch (IOException | RuntimeException e) {
                log.debug("prefetch of {} failed: {}", content.id(), e.toString());
            }
        });
    }

    /**
     * Fetches one piece of content read piece by piece in the background, so that a sequential reader
     * finds it here; at most one fetch of a piece at a time, and none when the read-ahead queue is full.
     */
    private void fetchAhead(ContentInfo content, int piece) {
        String key = content.id() + ":" + piece;
        if (!piecesAhead.add(key)) {
            return;
        }
        try {
            readingAhead.execute(() -> {
                try {
                    if (!blocks.has(content.id()) && !blocks.verifiedPieces(content).get(piece)) {
                        direct.fetchPiece(content, piece, direct.candidates(content));
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("read-ahead of piece {} of {} failed: {}", piece, content.id(), e.toString());
                } finally {
                    piecesAhead.remove(key);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            piecesAhead.remove(key);
        }
    }

    /** Fetches small content whole, or waits for the fetch of it already under way. */
    private void fetchDirectOnce(ContentInfo content) throws IOException {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = directFetches.putIfAbsent(content.id(), mine);
        if (running != null) {
            try {
                running.get(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(Errno.EIO, "interrupted while fetching " + content.id());
            } catch (ExecutionException | TimeoutException e) {
                // that one failed: this read tries for itself
            }
            if (!blocks.has(content.id())) {
                direct.fetchWhole(content);
            }
            return;
        }
        try {
            if (!blocks.has(content.id())) {
                direct.fetchWhole(content);
            }
            mine.complete(null);
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            directFetches.remove(content.id(), mine);
        }
    }

    @Override
    public ContentReader reader(ContentInfo content) throws IOException {
        return new FetchingReader(content);
    }

    /**
     * Content the garbage collector deletes: stop serving it, so its space comes back. False for content
     * being fetched, which the runtime must keep (see {@link SwarmRuntime#drop}).
     */
    public boolean release(String contentId) {
        return swarm.drop(contentId);
    }

    private List<HolderFinder.Holder> holdersOrFail(ContentInfo content) throws FsException {
        List<HolderFinder.Holder> found = holders.holders(content);
        if (found.isEmpty()) {
            String message = "content " + content.id() + " is not stored on this node, and no peer that is up holds it";
            log.warn(message);
            throw new FsException(Errno.EIO, message);
        }
        return found;
    }

    private List<InetSocketAddress> peersFor(ContentInfo content) throws FsException {
        return btAddresses(holdersOrFail(content));
    }

    private static List<InetSocketAddress> btAddresses(List<HolderFinder.Holder> found) {
        return found.stream().map(HolderFinder.Holder::btAddress).toList();
    }

    private void await(ContentInfo content, CompletableFuture<?> fetch, String what) throws IOException {
        try {
            fetch.get(readTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(Errno.EIO, "interrupted while fetching " + content.id());
        } catch (ExecutionException | TimeoutException e) {
            holders.forget(content);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            String message = what + " of content " + content.id() + " failed: " + cause.getMessage();
            log.warn(message);
            throw new FsException(Errno.EIO, message);
        }
    }

    /** What {@code delugefs status} shows of the data plane. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("btPort", port());
        status.put("torrents", swarm.torrents());
        status.put("hashFailures", swarm.hashFailures() + direct.hashFailures());
        status.put("smallFilesByStream", direct.byStream());
        status.put("smallFilesByChannel", direct.byChannel());
        List<Map<String, Object>> transfers = new ArrayList<>();
        for (SwarmRuntime.Transfer t : swarm.transfers()) {
            Map<String, Object> transfer = new LinkedHashMap<>();
            transfer.put("content", t.contentId());
            transfer.put("length", t.length());
            transfer.put("piecesVerified", t.piecesVerified());
            transfer.put("pieces", t.pieceCount());
            transfer.put("downloading", t.downloading());
            transfer.put("waitingReads", t.waitingReads());
            transfers.add(transfer);
        }
        status.put("transfers", transfers);
        return status;
    }

    @Override
    public void close() throws IOException {
        prefetching.shutdownNow();
        readingAhead.shutdownNow();
        chaining.shutdownNow();
        wholeFetches.shutdownNow();
        streams.close();
        holders.close();
        swarm.close();
    }

    /** Reads content held elsewhere: each read waits for the pieces it covers, fetched first. */
    private final class FetchingReader implements ContentReader {
        private final ContentInfo content;
        private volatile ContentReader local;
        private volatile long lastEnd;

        FetchingReader(ContentInfo content) {
            this.content = content;
        }

        @Override
        public int read(java.nio.ByteBuffer dst, long offset) throws IOException {
            if (offset >= content.length()) {
                return -1;
            }
            long length = Math.min(dst.remaining(), content.length() - offset);
            boolean sequential = Math.abs(offset - lastEnd) <= SEQUENTIAL_SLACK;
            lastEnd = offset + length;
            long readAhead = sequential ? READ_AHEAD : content.pieceLength();
            if (!blocks.has(content.id()) && reopened.contains(content.id())) {
                readByPieces(offset, length, sequential);
            } else if (!blocks.has(content.id()) && content.length() <= DIRECT_MAX) {
                fetchDirectOnce(content);
            } else if (!blocks.has(content.id()) && !swarm.canFetch(content.id())) {
                readByPieces(offset, length, sequential);
            } else if (!blocks.has(content.id())) {
                // a range already here needs no holder, but still moves the read-ahead on
                List<InetSocketAddress> from = swarm.hasRange(content, offset, length)
                        ? btAddresses(holders.known(content)) : peersFor(content);
                await(content, swarm.fetchRange(content, offset, length, readAhead, from, readTimeout),
                        "reading " + length + " bytes at " + offset);
            }
            return localReader().read(dst, offset);
        }

        /**
         * A read of content fetched piece by piece ({@link #byPieces}): the pieces it covers that are not
         * here yet are fetched now, over the holders' content streams; the others are read here.
         */
        private void readByPieces(long offset, long length, boolean sequential) throws IOException {
            int from = (int) (offset / content.pieceLength());
            int to = (int) ((offset + Math.max(1, length) - 1) / content.pieceLength()) + 1;
            blocks.startPartial(content);
            BitSet verified = blocks.verifiedPieces(content);
            List<PeerDirectory.PeerLink> holders = null;
            for (int piece = verified.nextClearBit(from); piece < to; piece = verified.nextClearBit(piece + 1)) {
                if (awaitAhead(piece)) {
                    continue;  // fetched ahead meanwhile
                }
                if (holders == null) {
                    holders = direct.candidates(content);
                }
                if (!direct.fetchPiece(content, piece, holders)) {
                    String message = "reading " + length + " bytes at " + offset + " of content " + content.id()
                            + ": no peer that is up sent piece " + piece + " intact";
                    log.warn(message);
                    throw new FsException(Errno.EIO, message);
                }
            }
            if (sequential) {
                int ahead = (int) Math.max(1, Math.min(16, READ_AHEAD / content.pieceLength()));
                for (int piece = to; piece < Math.min(content.pieceCount(), to + ahead); piece++) {
                    if (!verified.get(piece)) {
                        fetchAhead(content, piece);
                    }
                }
            }
        }

        /** Waits for a read-ahead of the piece under way, if any; true if the piece is here then. */
        private boolean awaitAhead(int piece) throws IOException {
            String key = content.id() + ":" + piece;
            long deadline = System.nanoTime() + readTimeout.toNanos();
            while (piecesAhead.contains(key) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FsException(Errno.EIO, "interrupted while reading " + content.id());
                }
            }
            return blocks.verifiedPieces(content).get(piece);
        }

        private ContentReader localReader() throws IOException {
            ContentReader reader = local;
            if (reader == null) {
                synchronized (this) {
                    if (local == null) {
                        local = blocks.has(content.id()) ? blocks.open(content.id())
                                : byPieces(content) ? blocks.openPartial(content.id())
                                : swarm.openFetched(content);
                    }
                    reader = local;
                }
            }
            return reader;
        }

        @Override
        public long size() {
            return content.length();
        }

        @Override
        public void close() throws IOException {
            ContentReader reader = local;
            if (reader != null) {
                reader.close();
            }
        }
    }
}
