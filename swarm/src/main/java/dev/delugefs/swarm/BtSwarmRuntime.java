package dev.delugefs.swarm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.Iterator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import bt.Bt;
import bt.data.DefaultChunkVerifier;
import bt.data.digest.SHA1Digester;
import bt.metainfo.IMetadataService;
import bt.metainfo.Torrent;
import bt.metainfo.TorrentId;
import bt.peer.IPeerRegistry;
import bt.net.IPeerConnectionPool;
import bt.runtime.BtClient;
import bt.runtime.BtRuntime;
import bt.runtime.Config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link SwarmRuntime} on one bt {@link BtRuntime}, tuned as DESIGN §10 measured. */
final class BtSwarmRuntime implements SwarmRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(BtSwarmRuntime.class);
    /**
     * Complete torrents served at once. bt runs a thread per torrent, so the least recently offered
     * complete ones are stopped beyond this; a later offer starts them again. (Stopping is safe only for
     * complete torrents, bt #146.)
     */
    static final int DEFAULT_MAX_TORRENTS = 256;
    /** How long one torrent may keep the fetch turn while others wait. */
    private static final Duration TURN_SLICE = Duration.ofMillis(500);

    private final BlockDirectory blocks;
    private final BtRuntime runtime;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final ResumingChunkVerifier verifier;
    private final MemberPeerSources peerSources;
    /** Timeouts, turns of fetches and completions: kept off bt's threads, which must not block on us. */
    private final ScheduledExecutorService worker;

    private final Map<String, Swarm> swarms = new HashMap<>();  // guarded by this
    private final Deque<Swarm> turnQueue = new ArrayDeque<>();  // guarded by this
    private final Map<TorrentId, CompletableFuture<Void>> stoppingTorrents = new java.util.concurrent.ConcurrentHashMap<>();
    /** Contents whose torrent this runtime stopped: see {@link #canFetch}. */
    private final Set<String> stoppedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Swarm active;  // the torrent holding the fetch turn; guarded by this
    private long turns;  // guarded by this
    private long uses;  // guarded by this
    private boolean closed;  // guarded by this

    private final int maxTorrents;
    private final PieceSenders senders;
    /** Piece lengths of the contents being fetched, read without the lock on bt's threads. */
    private final Map<String, Integer> pieceLengths = new java.util.concurrent.ConcurrentHashMap<>();
    /** Corrupt pieces each peer sent, per torrent. */
    private final Map<String, Integer> strikes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Corrupt pieces after which a peer is no longer asked for a torrent. */
    private static final int STRIKES_TO_BAN = 2;

    private BtSwarmRuntime(BlockDirectory blocks, BtRuntime runtime, ServerSocketChannel server,
                           ResumingChunkVerifier verifier, MemberPeerSources peerSources, int maxTorrents,
                           PieceSenders senders) throws IOException {
        this.maxTorrents = maxTorrents;
        this.senders = senders;
        this.blocks = blocks;
        this.runtime = runtime;
        this.server = server;
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
        this.verifier = verifier;
        this.peerSources = peerSources;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "swarm-runtime-" + localAddress.getPort());
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.worker = executor;
        runtime.getEventSource().onTorrentStopped(null, event -> {
            CompletableFuture<Void> stopped = stoppingTorrents.remove(event.getTorrentId());
            if (stopped != null) {
                stopped.complete(null);
            }
        });
    }

    static BtSwarmRuntime open(FileBlockStore store, InetAddress address, int port, Predicate<InetAddress> admitted)
            throws IOException {
        return open(store, address, port, admitted, DEFAULT_MAX_TORRENTS);
    }

    static BtSwarmRuntime open(FileBlockStore store, InetAddress address, int port, Predicate<InetAddress> admitted,
                               int maxTorrents) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(address, port));
            int boundPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            Config config = tunedConfig(address, boundPort);
            ResumingChunkVerifier verifier = new ResumingChunkVerifier(new DefaultChunkVerifier(
                    SHA1Digester.newDigester(config.getHashingBufferSize()), config.getNumOfHashingThreads()));
            MemberPeerSources peerSources = new MemberPeerSources();
            PieceSenders senders = new PieceSenders();
            BtRuntime runtime = BtRuntime.builder(config)
                    .disableStandardExtensions()  // PEX and local discovery: peers come only from callers
                    .disableAutomaticShutdown()
                    .module(new SwarmModule(server, verifier, peerSources, admitted, senders))
                    .build();
            runtime.startup();
            BtSwarmRuntime swarm = new BtSwarmRuntime(store.blocks(), runtime, server, verifier, peerSources, maxTorrents,
                    senders);
            verifier.onHashFailure(swarm::pieceFailed);
            return swarm;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static Config tunedConfig(InetAddress address, int port) {
        Config config = new Config();
        config.setAcceptorAddress(address);
        config.setAcceptorPort(port);
        // bt's defaults move ~7 MB/s per peer; these moved 84–141 MB/s on loopback (DESIGN §10)
        config.setMaxSimultaneouslyAssignedPieces(32);
        config.setMaxMessageProcessingInterval(Duration.ofMillis(1));
        // 128 KiB blocks in 2 MiB buffers doubled a remote read on loopback (95 → 272 MB/s, swarm.sh);
        // stock clients still ask us for 16 KiB blocks, and we fetch only from our own nodes
        config.setTransferBlockSize(128 * 1024);
        config.setNetworkBufferSize(2 * 1024 * 1024);
        // each connection holds two such buffers of direct memory: bound the connections (≤ 512 MiB),
        // and let idle ones go soon, as every torrent has connections of its own
        config.setMaxPeerConnections(128);
        config.setPeerConnectionInactivityThreshold(Duration.ofSeconds(30));
        // an assignment made while its torrent had no fetch turn, or after its last wanted piece, holds
        // no pieces and is replaced only once it times out: the default 5 s made every turn and every
        // random read wait that long. Received blocks reset the clock, so mostly idle assignments time
        // out; at 30 ms a busy 2-core machine timed out active ones too, and one in four 1 GiB reads
        // stalled for good (swarm.sh), at 100 ms none did.
        config.setMaxPieceReceivingTime(Duration.ofMillis(100));
        config.setTimeoutedAssignmentPeerBanDuration(Duration.ofSeconds(1));
        config.setMseDisabled(true);  // 2–4 s per connection, and our peers are members
        config.setUnreachablePeerBanDuration(Duration.ofSeconds(10));  // 30 min banned a restarted seeder
        config.setPeerDiscoveryInterval(Duration.ofSeconds(1));  // our peer source is a map in memory
        config.setShutdownHookTimeout(Duration.ofSeconds(2));
        return config;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void seed(ContentInfo content) throws IOException {
        awaitStopped(content);
        synchronized (this) {
            ensureOpen();
            Swarm existing = swarms.get(content.id());
            if (existing != null) {
                existing.lastUsed = ++uses;
                return;
            }
            Path file = blocks.completePath(content.id());
            if (content.length() == 0) {
                return;  // bt cannot describe a torrent without pieces, and there is nothing to send
            }
            stopLeastRecentlyUsed();
            BlockUnit unit = BlockUnit.sealed(content.id(), file, content.length());
            Swarm swarm = start(content, unit);
            swarm.lastUsed = ++uses;
            swarms.put(content.id(), swarm);
        }
    }

    /** bt unregisters a stopped torrent a little later, and refuses to start it again until then. */
    private void awaitStopped(ContentInfo content) throws IOException {
        CompletableFuture<Void> stopping = stoppingTorrents.get(torrentId(content));
        if (stopping != null) {
            try {
                stopping.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while " + content.id() + " stopped", e);
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                LOG.warn("{} did not stop within 5 s; starting it again anyway", content.id());
            }
        }
    }

    /** Makes room for one more torrent by stopping the complete one offered least recently. Holding the lock. */
    private void stopLeastRecentlyUsed() {
        if (swarms.size() < maxTorrents) {
            return;
        }
        Swarm oldest = null;
        for (Swarm swarm : swarms.values()) {
            boolean complete = swarm.unit.bitmap() == null || swarm.complete.get();
            if (complete && swarm.waiters.isEmpty() && swarm != active
                    && (oldest == null || swarm.lastUsed < oldest.lastUsed)) {
                oldest = swarm;
            }
        }
        if (oldest == null) {
            LOG.debug("{} torrents, none of them complete and idle: serving one more", swarms.size());
            return;
        }
        stop(oldest);
        LOG.debug("stopped serving {} (least recently offered of {} torrents)", oldest.content.id(), maxTorrents);
    }

    @Override
    public synchronized boolean drop(String contentId) {
        Swarm swarm = swarms.get(contentId);
        if (swarm == null) {
            return true;
        }
        if ((swarm.unit.bitmap() == null || swarm.complete.get()) && swarm.waiters.isEmpty()) {
            stop(swarm);
            return true;
        }
        return false;
    }

    /** Stops a complete torrent; bt unregisters it and closes its storage, so it can be started again. */
    private void stop(Swarm swarm) {
        stoppedOnce.add(swarm.content.id());
        swarms.remove(swarm.content.id());
        turnQueue.remove(swarm);
        stoppingTorrents.put(torrentId(swarm.content), new CompletableFuture<>());
        swarm.client.stop();
    }

    @Override
    public boolean canFetch(String contentId) {
        return !stoppedOnce.contains(contentId);
    }

    @Override
    public CompletableFuture<ContentInfo> fetch(ContentInfo content, List<InetSocketAddress> peers,
                                                Duration timeout) {
        return fetchRange(content, 0, Math.max(1, content.length()), 0, peers, timeout)
                .thenApply(ignored -> content);
    }

    @Override
    public CompletableFuture<Void> fetchRange(ContentInfo content, long offset, long length, long readAhead,
                                              List<InetSocketAddress> peers, Duration timeout) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        peerSources.add(torrentId(content), peers);
        Waiter waiter;
        try {
            awaitStopped(content);  // content trimmed or collected a moment ago, and read again
            synchronized (this) {
                if (closed) {
                    throw new IOException("swarm runtime is closed");
                }
                if (blocks.hasComplete(content.id())) {
                    result.complete(null);
                    return result;
                }
                if (content.length() == 0) {
                    installEmpty(content);
                    result.complete(null);
                    return result;
                }
                Swarm swarm = swarmFor(content);
                Span span = Span.of(content, offset, length);
                int from = span.from();
                int to = span.to();
                int aheadTo = Span.of(content, offset, length + Math.max(0, readAhead)).to();
                BitSet verified = swarm.unit.bitmap().verified();
                swarm.selector.want(from, aheadTo);
                // a whole content is done once it is in the store as complete, not merely verified: callers
                // (pins, mirrors) open it from the store right after
                boolean whole = from == 0 && to == pieceCount(content);
                if (whole ? swarm.stored : swarm.complete.get() || covers(verified, from, to)) {
                    if (swarm.selector.retainMissing(verified)) {
                        requestTurn(swarm);  // reading ahead
                    }
                    result.complete(null);
                    return result;
                }
                waiter = new Waiter(from, to, whole, result);
                swarm.waiters.add(waiter);
                updateUrgent(swarm);
                requestTurn(swarm);
                if (whole && swarm.unit.bitmap().isComplete()) {
                    // every piece is verified but nobody moved it into the store yet (or it is being moved)
                    Swarm verifiedAll = swarm;
                    worker.execute(() -> settle(verifiedAll));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not start fetching {}", content.id(), e);
            result.completeExceptionally(e);
            return result;
        }
        worker.schedule(() -> timeOut(content, waiter, timeout), timeout.toNanos(), TimeUnit.NANOSECONDS);
        return result;
    }

    @Override
    public ContentReader openFetched(ContentInfo content) throws IOException {
        Path file = blocks.pathOf(content.id());
        synchronized (this) {
            if (!blocks.hasComplete(content.id()) && !swarms.containsKey(content.id())) {
                throw new NoSuchFileException(file.toString(), null, "content is not being fetched here");
            }
        }
        return FileContentReader.open(file);
    }

    @Override
    public boolean hasRange(ContentInfo content, long offset, long length) {
        if (blocks.hasComplete(content.id())) {
            return true;
        }
        Swarm swarm;
        synchronized (this) {
            swarm = swarms.get(content.id());
        }
        if (swarm == null || swarm.unit.bitmap() == null) {
            return false;
        }
        Span span = Span.of(content, offset, length);
        return covers(swarm.unit.bitmap().verified(), span.from(), span.to());
    }

    @Override
    public synchronized List<Transfer> transfers() {
        List<Transfer> transfers = new ArrayList<>();
        for (Swarm swarm : swarms.values()) {
            PieceBitmap bitmap = swarm.unit.bitmap();
            if (bitmap != null && !swarm.complete.get()) {
                transfers.add(new Transfer(swarm.content.id(), swarm.content.length(), bitmap.verifiedCount(),
                        swarm.content.pieceCount(), swarm == active, swarm.waiters.size()));
            }
        }
        return transfers;
    }

    @Override
    public synchronized int torrents() {
        return swarms.size();
    }

    @Override
    public long hashFailures() {
        return verifier.hashFailures();
    }

    @Override
    public void close() throws IOException {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        List<Swarm> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = List.copyOf(swarms.values());
            for (Swarm swarm : all) {
                swarm.waiters.forEach(w -> waiting.add(w.future));
                swarm.waiters.clear();
            }
        }
        try {
            runtime.shutdown();
        } finally {
            worker.shutdownNow();
            IOException failure = null;
            try {
                server.close();
            } catch (IOException e) {
                failure = e;
            }
            for (Swarm swarm : all) {
                try {
                    swarm.unit.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
            waiting.forEach(w -> w.completeExceptionally(new IOException("swarm runtime closed")));
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** The torrent of content being fetched, started (paused) on first use. Called holding the lock. */
    private Swarm swarmFor(ContentInfo content) throws IOException {
        Swarm swarm = swarms.get(content.id());
        if (swarm == null) {
            Path file = blocks.pathOf(content.id());
            Files.createDirectories(file.getParent());
            BlockUnit unit = BlockUnit.partial(content.id(), file, content.length(), content.pieceCount());
            pieceLengths.put(content.id(), content.pieceLength());
            swarm = start(content, unit);
            swarms.put(content.id(), swarm);
        } else if (swarm.unit.bitmap() == null) {
            throw new IllegalStateException(content.id() + " is seeded, so it is complete");
        }
        return swarm;
    }

    private static boolean covers(BitSet verified, int from, int to) {
        int missing = verified.nextClearBit(from);
        return missing >= to;
    }

    /** The urgent pieces are those that waiting reads need. Called holding the lock. */
    private static void updateUrgent(Swarm swarm) {
        BitSet urgent = new BitSet();
        for (Waiter waiter : swarm.waiters) {
            urgent.set(waiter.from, waiter.to);
        }
        swarm.selector.setUrgent(urgent);
    }

    /*
     * The fetch turn. Only the torrent holding it downloads: bt's runtime-wide BufferedPieceRegistry keys
     * received blocks by piece index and offset alone, so two torrents downloading at once take each
     * other's blocks (DESIGN §10). The turn rotates among the torrents that want pieces: it passes on when
     * the holder has all it wanted, when only read-ahead is left and someone waits, or after a time slice,
     * so that a read of one file waits for at most a slice of another's transfer.
     */

    /** Called holding the lock. */
    private void requestTurn(Swarm swarm) {
        if (active == null) {
            activate(swarm);
        } else if (active != swarm && !turnQueue.contains(swarm)) {
            turnQueue.add(swarm);
        }
    }

    /** Called holding the lock. */
    private void activate(Swarm swarm) {
        active = swarm;
        long turn = ++turns;
        LOG.debug("fetch turn {} to {} ({} more want it)", turn, swarm.content.id(), turnQueue.size());
        swarm.selector.activate();
        worker.execute(() -> runtime.service(IPeerRegistry.class).triggerPeerCollection(torrentId(swarm.content)));
        worker.schedule(() -> endSlice(turn), TURN_SLICE.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Passes the turn on; the holder queues again if it still wants pieces. Called holding the lock. */
    private void passTurn() {
        Swarm current = active;
        active = null;
        if (current != null) {
            current.selector.deactivate();
            if (current.selector.retainMissing(current.unit.bitmap().verified()) && !current.complete.get()) {
                turnQueue.add(current);
            }
        }
        Swarm next = turnQueue.poll();
        if (next != null) {
            activate(next);
        }
    }

    private synchronized void endSlice(long turn) {
        if (!closed && turn == turns && active != null && !turnQueue.isEmpty()) {
            passTurn();
        } else if (!closed && turn == turns && active != null) {
            long again = turns;
            worker.schedule(() -> endSlice(again), TURN_SLICE.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void timeOut(ContentInfo content, Waiter waiter, Duration timeout) {
        if (waiter.future.isDone()) {
            return;
        }
        int verified = 0;
        synchronized (this) {
            Swarm swarm = swarms.get(content.id());
            if (swarm != null && swarm.waiters.remove(waiter)) {
                verified = swarm.unit.bitmap().verifiedCount();
                updateUrgent(swarm);
                if (swarm.waiters.isEmpty()) {
                    // nobody reads it now: stop fetching rather than hold the turn for read-ahead
                    swarm.selector.forget();
                    turnQueue.remove(swarm);
                    if (active == swarm) {
                        passTurn();
                    }
                }
            }
        }
        String message = "fetching " + content.id() + ": " + verified + " of " + content.pieceCount()
                + " pieces after " + timeout.toMillis() + " ms (" + verifier.hashFailures() + " hash failures so far)";
        if (waiter.future.completeExceptionally(new TimeoutException(message))) {
            LOG.warn(message);
        }
    }

    private void installEmpty(ContentInfo content) throws IOException {
        Path file = blocks.pathOf(content.id());
        Files.createDirectories(file.getParent());
        BlockUnit.partial(content.id(), file, 0, 0).close();
        blocks.completeFetched(content.id());
    }

    private Swarm start(ContentInfo content, BlockUnit unit) throws IOException {
        TorrentId torrentId = torrentId(content);
        Torrent torrent = runtime.service(IMetadataService.class)
                .fromByteArray(TorrentFile.encode(content, Instant.EPOCH));
        WantedPieceSelector selector = new WantedPieceSelector();
        Swarm swarm = new Swarm(content, unit, selector);
        if (unit.bitmap() != null) {
            runtime.getEventSource().onPieceVerified(torrentId, event -> pieceVerified(swarm, event.getPieceIndex()));
        }
        swarm.client = Bt.client(runtime).storage(unit).torrent(() -> torrent).selector(selector).build();
        swarm.client.startAsync().whenComplete((ignored, failure) -> {
            if (failure != null) {
                LOG.warn("torrent {} ended with an error", content.id(), failure);
            }
        });
        return swarm;
    }

    /**
     * On a bt thread: a piece failed its hash. Its sender is held to account; after a second bad piece it
     * is no longer asked for this torrent and its connections for it are closed, so that good peers get
     * the pieces (bt alone would ask it again, as fast as it answers).
     */
    private void pieceFailed(String contentId, long offset) {
        Integer pieceLength = pieceLengths.get(contentId);
        if (pieceLength == null) {
            return;
        }
        TorrentId torrent = TorrentId.fromBytes(HexFormat.of().parseHex(contentId));
        InetSocketAddress sender = senders.take(torrent, (int) (offset / pieceLength));
        if (sender == null) {
            return;
        }
        int count = strikes.merge(contentId + " " + sender, 1, Integer::sum);
        if (count == STRIKES_TO_BAN) {
            peerSources.ban(torrent, sender);
            int[] closed = new int[1];
            runtime.service(IPeerConnectionPool.class).visitConnections(torrent, connection -> {
                if (connection.getRemotePeer().getInetAddress().equals(sender.getAddress())
                        && (connection.getRemotePeer().getPort() == sender.getPort()
                        || connection.getRemotePort() == sender.getPort())) {
                    connection.closeQuietly();
                    closed[0]++;
                }
            });
            LOG.warn("peer {} sent {} corrupt pieces of {}: no longer asked for it ({} connections closed)",
                    sender, count, contentId, closed[0]);
        }
    }

    /** On a bt thread: records the piece, and hands the rest to our own thread. */
    private void pieceVerified(Swarm swarm, int piece) {
        PieceBitmap bitmap = swarm.unit.bitmap();
        try {
            bitmap.set(piece);
        } catch (IOException e) {
            LOG.warn("could not record piece {} of {} in its bitmap", piece, swarm.content.id(), e);
        }
        worker.execute(() -> settle(swarm));
    }

    /** Completes the reads a verified piece satisfied, and moves the fetch turn on. */
    private void settle(Swarm swarm) {
        IOException failure = null;
        if (swarm.unit.bitmap().isComplete() && swarm.complete.compareAndSet(false, true)) {
            try {
                swarm.unit.force();
                blocks.completeFetched(swarm.content.id());
                swarm.stored = true;
            } catch (IOException e) {
                failure = e;
                LOG.warn("could not complete fetched content {}", swarm.content.id(), e);
            }
        }
        List<Waiter> done = new ArrayList<>();
        synchronized (this) {
            BitSet verified = swarm.unit.bitmap().verified();
            boolean complete = swarm.complete.get();
            for (Iterator<Waiter> it = swarm.waiters.iterator(); it.hasNext(); ) {
                Waiter waiter = it.next();
                if (waiter.whole ? swarm.stored || failure != null
                        : complete || covers(verified, waiter.from, waiter.to)) {
                    done.add(waiter);
                    it.remove();
                }
            }
            boolean wantsMore = swarm.selector.retainMissing(verified) && !complete;
            updateUrgent(swarm);
            if (active == swarm && (!wantsMore || (swarm.waiters.isEmpty() && !turnQueue.isEmpty()))) {
                passTurn();
            } else if (!wantsMore) {
                turnQueue.remove(swarm);
            }
        }
        for (Waiter waiter : done) {
            if (failure == null) {
                waiter.future.complete(null);
            } else {
                waiter.future.completeExceptionally(failure);
            }
        }
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("swarm runtime is closed");
        }
    }

    private static TorrentId torrentId(ContentInfo content) {
        return TorrentId.fromBytes(HexFormat.of().parseHex(content.id()));
    }

    private static int pieceCount(ContentInfo content) {
        return (int) ((content.length() + content.pieceLength() - 1) / content.pieceLength());
    }

    /** The pieces {@code from} to {@code to} (exclusive) that hold a byte range, clipped to the content. */
    private record Span(int from, int to) {
        static Span of(ContentInfo content, long offset, long length) {
            long start = Math.min(Math.max(0, offset), content.length() - 1);
            long end = Math.min(content.length(), start + Math.max(1, length));
            return new Span((int) (start / content.pieceLength()), (int) ((end - 1) / content.pieceLength()) + 1);
        }
    }

    /** A read waiting for pieces {@code from} to {@code to} (exclusive). */
    private record Waiter(int from, int to, boolean whole, CompletableFuture<Void> future) {
    }

    /** One torrent of this runtime; never stopped while the runtime runs (bt #146), only paused. */
    private static final class Swarm {
        final ContentInfo content;
        final BlockUnit unit;
        final WantedPieceSelector selector;
        final AtomicBoolean complete = new AtomicBoolean();
        /** Set once the complete content was moved into the store, after {@code complete}. */
        volatile boolean stored;
        final List<Waiter> waiters = new ArrayList<>();  // guarded by the runtime
        long lastUsed;  // guarded by the runtime
        BtClient client;

        Swarm(ContentInfo content, BlockUnit unit, WantedPieceSelector selector) {
            this.content = content;
            this.unit = unit;
            this.selector = selector;
        }
    }
}
