package dev.delugefs.metadata;

import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.discovery.ExecResult;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps this node's namespace in step with its peers (DESIGN §6, propagation): after every local commit
 * each peer is told {@code pull-from <us>}; told so by a peer, we fetch its head and merge it; and a sweep
 * every interval asks each peer's {@code head} and pulls what we lack, for the notices that got lost.
 *
 * <p>Pull only: nobody writes into another node's repository. Notices and pulls run on small bounded pools,
 * never on the committer's thread, and bursts fold into one run per peer plus one queued.
 */
public final class VolumeSync implements AutoCloseable {

    public static final String HEAD = "head";
    public static final String PULL_FROM = "pull-from";
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    private static final int EXIT_USAGE = 2;
    private static final int EXIT_BUSY = 75;
    /**
     * A notice or pull to a peer that went silent waits out {@link #COMMAND_TIMEOUT} on its thread; with one
     * run per peer at a time, this many threads keep that many silent peers from delaying the others.
     */
    private static final int NOTICE_THREADS = 8;
    private static final int PULL_THREADS = 4;
    private static final int QUEUE = 256;
    private static final Logger LOG = LoggerFactory.getLogger(VolumeSync.class);

    /** Counters since start; failures are also logged. */
    public record Stats(long noticesSent, long noticeFailures, long fetches, long pullFailures, long merges) {
    }

    private final NamespaceStore store;
    private final String nodeId;
    private final PeerDirectory peers;
    private final Duration sweepInterval;
    private final ThreadPoolExecutor noticePool = boundedPool("delugefs-notify-", NOTICE_THREADS);
    private final ThreadPoolExecutor pullPool = boundedPool("delugefs-pull-", PULL_THREADS);
    private final ScheduledExecutorService sweeper = new ScheduledThreadPoolExecutor(1, daemons("delugefs-sweep-"));
    private final Coalescer notices = new Coalescer(noticePool, this::notifyPeer, "pull-from notice");
    private final Coalescer pulls = new Coalescer(pullPool, this::pull, "pull");
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final AtomicLong noticesSent = new AtomicLong();
    private final AtomicLong noticeFailures = new AtomicLong();
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong pullFailures = new AtomicLong();
    private final AtomicLong merges = new AtomicLong();
    private volatile boolean started;
    private volatile boolean closed;

    public VolumeSync(NamespaceStore store, String nodeId, PeerDirectory peers, Duration sweepInterval) {
        this.store = Objects.requireNonNull(store, "store");
        ChannelFetcher.trackingRef(nodeId);
        this.nodeId = nodeId;
        this.peers = Objects.requireNonNull(peers, "peers");
        if (sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new IllegalArgumentException("sweep interval must be positive: " + sweepInterval);
        }
        this.sweepInterval = sweepInterval;
    }

    /** Serves {@code git-upload-pack}, {@code head} and {@code pull-from} on {@code server}; starts notices and sweeps. */
    public VolumeSync start(ChannelServer server) {
        synchronized (this) {
            if (started) {
                throw new IllegalStateException("already started");
            }
            started = true;
        }
        server.register(UploadPackCommand.NAME, new UploadPackCommand(store));
        server.register(HEAD, this::head);
        server.register(PULL_FROM, this::pullFrom);
        store.addCommitListener(head -> committed());
        long millis = sweepInterval.toMillis();
        // a random first delay: nodes started together must not sweep in step
        long first = java.util.concurrent.ThreadLocalRandom.current().nextLong(millis / 2, millis + 1);
        sweeper.scheduleWithFixedDelay(this::sweep, first, millis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Pulls from that peer soon (e.g. when it was just discovered), folded with any pull under way. */
    public void pullSoon(String peerNodeId) {
        if (!closed) {
            pulls.request(peerNodeId);
        }
    }

    /** Asks every peer's head now and pulls what we lack, as the periodic sweep does. */
    public void sweep() {
        try {
            for (PeerDirectory.PeerLink peer : peers.peers()) {
                pullSoon(peer.nodeId());
            }
        } catch (RuntimeException e) {
            // the scheduler would stop calling a sweep that threw
            LOG.warn("sweep failed", e);
        }
    }

    public Stats stats() {
        return new Stats(noticesSent.get(), noticeFailures.get(), fetches.get(), pullFailures.get(), merges.get());
    }

    private void committed() {
        if (closed) {
            return;
        }
        for (PeerDirectory.PeerLink peer : peers.peers()) {
            if (!notices.request(peer.nodeId())) {
                noticeFailures.incrementAndGet();
            }
        }
    }

    private int head(CommandRequest request) throws IOException {
        request.stdout().write((store.head().name() + "\n").getBytes(StandardCharsets.US_ASCII));
        return 0;
    }

    /** Answers at once; the fetch runs on the pull pool. */
    private int pullFrom(CommandRequest request) throws IOException {
        if (request.args().size() != 1) {
            return fail(request, EXIT_USAGE, "usage: " + PULL_FROM + " NODE_ID");
        }
        String peer = request.args().get(0);
        if (closed) {
            return fail(request, EXIT_BUSY, "node is shutting down");
        }
        if (peers.peer(peer).isEmpty()) {
            LOG.info("{} from {} names {}, which is not a peer we know; ignored", PULL_FROM, request.peer(), peer);
            return fail(request, EXIT_USAGE, "unknown peer " + peer);
        }
        pulls.request(peer);
        return 0;
    }

    private static int fail(CommandRequest request, int status, String message) throws IOException {
        request.stderr().write((message + "\n").getBytes(StandardCharsets.UTF_8));
        return status;
    }

    private void notifyPeer(String peerNodeId) {
        Optional<PeerDirectory.PeerLink> peer = peers.peer(peerNodeId);
        if (peer.isEmpty() || closed) {
            return;
        }
        try {
            ExecResult result = peer.get().session().exec(PULL_FROM + " " + nodeId, new byte[0], COMMAND_TIMEOUT);
            if (!result.succeeded()) {
                throw new IOException("it answered " + result);
            }
            noticesSent.incrementAndGet();
            if (unreachable.remove(peerNodeId)) {
                LOG.info("peer {} takes notices again", peerNodeId);
            }
        } catch (IOException | RuntimeException e) {
            noticeFailures.incrementAndGet();
            // a peer that is down fails every notice: say it once, the sweep catches it up later
            if (unreachable.add(peerNodeId)) {
                LOG.warn("could not tell peer {} to pull from us: {}", peerNodeId, e.toString());
            } else {
                LOG.debug("could not tell peer {} to pull from us: {}", peerNodeId, e.toString());
            }
        }
    }

    /** Fetches and merges the peer's head, unless we hold it already. */
    private void pull(String peerNodeId) {
        Optional<PeerDirectory.PeerLink> found = peers.peer(peerNodeId);
        if (found.isEmpty() || closed) {
            return;
        }
        PeerDirectory.PeerLink peer = found.get();
        long start = System.nanoTime();
        try {
            ExecResult answer = peer.session().exec(HEAD, new byte[0], COMMAND_TIMEOUT);
            if (!answer.succeeded()) {
                throw new IOException(HEAD + " answered " + answer);
            }
            ObjectId theirs = ObjectId.fromString(answer.stdoutText().strip());
            if (store.contains(theirs)) {
                return;
            }
            ObjectId fetched = store.fetch(repo -> ChannelFetcher.fetch(repo, peer.session(), peerNodeId));
            fetches.incrementAndGet();
            long fetchedAt = System.nanoTime();
            MergeResult result = store.mergeFrom(fetched);
            if (result.status() != MergeResult.Status.UP_TO_DATE) {
                merges.incrementAndGet();
            }
            LOG.debug("pulled {} from {}: {} (fetch {} ms, merge {} ms)", fetched.name(), peerNodeId, result.status(),
                    (fetchedAt - start) / 1_000_000, (System.nanoTime() - fetchedAt) / 1_000_000);
        } catch (IOException | IllegalArgumentException e) {
            pullFailures.incrementAndGet();
            LOG.warn("pull from peer {} failed: {}", peerNodeId, e.toString());
        } catch (IllegalStateException e) {
            if (!closed) {
                pullFailures.incrementAndGet();
                LOG.warn("pull from peer {} failed", peerNodeId, e);
            }
        }
    }

    /** Lets running pulls finish for a moment, then stops everything; registered commands answer "busy". */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        noticePool.shutdown();
        pullPool.shutdown();
        try {
            if (!pullPool.awaitTermination(5, TimeUnit.SECONDS) | !noticePool.awaitTermination(1, TimeUnit.SECONDS)) {
                LOG.warn("sync work still running at close; interrupting it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pullPool.shutdownNow();
            noticePool.shutdownNow();
        }
    }

    private static ThreadPoolExecutor boundedPool(String prefix, int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(QUEUE), daemons(prefix));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
