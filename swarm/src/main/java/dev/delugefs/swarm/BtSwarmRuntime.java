package dev.delugefs.swarm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
import bt.runtime.BtClient;
import bt.runtime.BtRuntime;
import bt.runtime.Config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link SwarmRuntime} on one bt {@link BtRuntime}, tuned as DESIGN §10 measured. */
final class BtSwarmRuntime implements SwarmRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(BtSwarmRuntime.class);

    private final BlockDirectory blocks;
    private final BtRuntime runtime;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final ResumingChunkVerifier verifier;
    private final MemberPeerSources peerSources;
    /** Timeouts, turns of fetches and completions: kept off bt's threads, which must not block on us. */
    private final ScheduledExecutorService worker;

    private final Map<String, Swarm> swarms = new HashMap<>();  // guarded by this
    private CompletableFuture<?> fetchTurn = CompletableFuture.completedFuture(null);  // guarded by this
    private boolean closed;  // guarded by this

    private BtSwarmRuntime(BlockDirectory blocks, BtRuntime runtime, ServerSocketChannel server,
                           ResumingChunkVerifier verifier, MemberPeerSources peerSources) throws IOException {
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
    }

    static BtSwarmRuntime open(FileBlockStore store, InetAddress address, int port) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(address, port));
            int boundPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            Config config = tunedConfig(address, boundPort);
            ResumingChunkVerifier verifier = new ResumingChunkVerifier(new DefaultChunkVerifier(
                    SHA1Digester.newDigester(config.getHashingBufferSize()), config.getNumOfHashingThreads()));
            MemberPeerSources peerSources = new MemberPeerSources();
            Predicate<InetAddress> everyone = a -> true;  // membership arrives when the node wires us in
            BtRuntime runtime = BtRuntime.builder(config)
                    .disableStandardExtensions()  // PEX and local discovery: peers come only from callers
                    .disableAutomaticShutdown()
                    .module(new SwarmModule(server, verifier, peerSources, everyone))
                    .build();
            runtime.startup();
            return new BtSwarmRuntime(store.blocks(), runtime, server, verifier, peerSources);
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
        config.setTransferBlockSize(64 * 1024);
        config.setMaxMessageProcessingInterval(Duration.ofMillis(1));
        config.setMseDisabled(true);  // 2–4 s per connection, and our peers are members
        config.setNetworkBufferSize(256 * 1024);  // 1 MiB per connection exhausted direct memory
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
        synchronized (this) {
            ensureOpen();
            if (swarms.containsKey(content.id())) {
                return;
            }
            Path file = blocks.completePath(content.id());
            if (content.length() == 0) {
                return;  // bt cannot describe a torrent without pieces, and there is nothing to send
            }
            BlockUnit unit = BlockUnit.sealed(content.id(), file, content.length());
            swarms.put(content.id(), start(content, unit));
        }
    }

    @Override
    public CompletableFuture<ContentInfo> fetch(ContentInfo content, List<InetSocketAddress> peers,
                                                Duration timeout) {
        CompletableFuture<ContentInfo> result = new CompletableFuture<>();
        peerSources.add(torrentId(content), peers);
        synchronized (this) {
            if (closed) {
                result.completeExceptionally(new IOException("swarm runtime is closed"));
                return result;
            }
            if (blocks.hasComplete(content.id())) {
                result.complete(content);
                return result;
            }
            CompletableFuture<?> previous = fetchTurn;
            fetchTurn = result.handle((value, failure) -> null);
            previous.thenRunAsync(() -> startFetch(content, result), worker);
        }
        worker.schedule(() -> timeOut(content, result, timeout), timeout.toNanos(), TimeUnit.NANOSECONDS);
        return result;
    }

    @Override
    public long hashFailures() {
        return verifier.hashFailures();
    }

    @Override
    public void close() throws IOException {
        List<CompletableFuture<ContentInfo>> waiting = new ArrayList<>();
        List<Swarm> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = List.copyOf(swarms.values());
            for (Swarm swarm : all) {
                if (swarm.waiter != null) {
                    waiting.add(swarm.waiter);
                }
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

    private void startFetch(ContentInfo content, CompletableFuture<ContentInfo> result) {
        boolean alreadyComplete;
        try {
            synchronized (this) {
                if (result.isDone() || closed) {
                    return;  // timed out while it waited for its turn, or closed
                }
                alreadyComplete = blocks.hasComplete(content.id());
                if (!alreadyComplete && content.length() == 0) {
                    installEmpty(content);
                    alreadyComplete = true;
                }
                if (!alreadyComplete) {
                    Swarm swarm = swarms.get(content.id());
                    if (swarm == null) {
                        Path file = blocks.pathOf(content.id());
                        Files.createDirectories(file.getParent());
                        BlockUnit unit = BlockUnit.partial(content.id(), file, content.length(), content.pieceCount());
                        swarm = start(content, unit);
                        swarms.put(content.id(), swarm);
                    }
                    alreadyComplete = swarm.complete.get() && blocks.hasComplete(content.id());
                    if (!alreadyComplete) {
                        swarm.waiter = result;
                        swarm.selector.resume();
                    }
                }
            }
            if (alreadyComplete) {
                result.complete(content);
            } else {
                runtime.service(IPeerRegistry.class).triggerPeerCollection(torrentId(content));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not start fetching {}", content.id(), e);
            result.completeExceptionally(e);
        }
    }

    private void installEmpty(ContentInfo content) throws IOException {
        Path file = blocks.pathOf(content.id());
        Files.createDirectories(file.getParent());
        BlockUnit.partial(content.id(), file, 0, 0).close();
        blocks.completeFetched(content.id());
    }

    private void timeOut(ContentInfo content, CompletableFuture<ContentInfo> result, Duration timeout) {
        if (result.isDone()) {
            return;
        }
        int verified = 0;
        synchronized (this) {
            Swarm swarm = swarms.get(content.id());
            if (swarm != null && swarm.waiter == result) {
                swarm.waiter = null;
                swarm.selector.pause();
                verified = swarm.unit.bitmap().verifiedCount();
            }
        }
        String message = "fetching " + content.id() + ": " + verified + " of " + content.pieceCount()
                + " pieces after " + timeout.toMillis() + " ms (" + verifier.hashFailures() + " hash failures so far)";
        if (result.completeExceptionally(new TimeoutException(message))) {
            LOG.warn(message);
        }
    }

    private Swarm start(ContentInfo content, BlockUnit unit) throws IOException {
        TorrentId torrentId = torrentId(content);
        Torrent torrent = runtime.service(IMetadataService.class)
                .fromByteArray(TorrentFile.encode(content, Instant.EPOCH));
        PausableSelector selector = new PausableSelector();
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

    /** On a bt thread: records the piece, and hands completion to our own thread. */
    private void pieceVerified(Swarm swarm, int piece) {
        PieceBitmap bitmap = swarm.unit.bitmap();
        try {
            bitmap.set(piece);
        } catch (IOException e) {
            LOG.warn("could not record piece {} of {} in its bitmap", piece, swarm.content.id(), e);
        }
        if (bitmap.isComplete() && swarm.complete.compareAndSet(false, true)) {
            worker.execute(() -> complete(swarm));
        }
    }

    private void complete(Swarm swarm) {
        CompletableFuture<ContentInfo> waiter;
        IOException failure = null;
        try {
            swarm.unit.force();
            blocks.completeFetched(swarm.content.id());
        } catch (IOException e) {
            failure = e;
            LOG.warn("could not complete fetched content {}", swarm.content.id(), e);
        }
        synchronized (this) {
            waiter = swarm.waiter;
            swarm.waiter = null;
        }
        if (waiter != null) {
            if (failure == null) {
                waiter.complete(swarm.content);
            } else {
                waiter.completeExceptionally(failure);
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

    /** One torrent of this runtime; never stopped while the runtime runs (bt #146), only paused. */
    private static final class Swarm {
        final ContentInfo content;
        final BlockUnit unit;
        final PausableSelector selector;
        final AtomicBoolean complete = new AtomicBoolean();
        BtClient client;
        CompletableFuture<ContentInfo> waiter;  // guarded by the runtime

        Swarm(ContentInfo content, BlockUnit unit, PausableSelector selector) {
            this.content = content;
            this.unit = unit;
            this.selector = selector;
        }
    }
}
