package dev.delugefs.fs.node;

import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.fs.net.NodeNetwork;
import dev.delugefs.fs.net.NodeSwarm;
import dev.delugefs.fs.vfs.DelugeVfs;
import dev.delugefs.fs.vfs.StorageSpace;
import dev.delugefs.fs.vfs.Vfs;
import dev.delugefs.metadata.Hlc;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.VolumeConfig;
import dev.delugefs.replication.GarbageCollector;
import dev.delugefs.swarm.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running node over one storage root: starts the parts bottom-up and stops them top-down, so that at
 * close every open file is sealed before the namespace makes its last commit.
 */
public final class Node implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final Path root;
    private final NodeIdentity identity;
    private final FileLock lock;
    private final NamespaceStore store;
    private final BlockStore blocks;
    private final DelugeVfs vfs;
    private final StorageSpace space;
    private final ScheduledExecutorService housekeeping;
    private volatile NodeNetwork network;
    private boolean closed;

    /** How a node runs; the defaults suit a user's volume, tests shorten the windows. */
    public record Options(Duration gcRetention, NodeNetwork.Settings network, long maxStorage) {
        public Options {
            if (gcRetention.isNegative()) {
                throw new IllegalArgumentException("the garbage-collection retention must not be negative");
            }
            if (maxStorage < 0) {
                throw new IllegalArgumentException("--max-storage must not be negative");
            }
        }

        public Options(Duration gcRetention, NodeNetwork.Settings network) {
            this(gcRetention, network, 0);
        }
    }

    private Node(Path root, NodeIdentity identity, FileLock lock, NamespaceStore store, BlockStore blocks, DelugeVfs vfs,
                 ScheduledExecutorService housekeeping, StorageSpace space) {
        this.root = root;
        this.identity = identity;
        this.lock = lock;
        this.store = store;
        this.blocks = blocks;
        this.vfs = vfs;
        this.space = space;
        this.housekeeping = housekeeping;
    }

    public static Node open(Path root, String volumeName, Options options) throws IOException {
        NodeIdentity identity = StorageRoot.check(root, volumeName);
        FileLock lock = StorageRoot.lock(root);
        NamespaceStore store = null;
        BlockStore blocks = null;
        AtomicReference<NodeSwarm> swarm = new AtomicReference<>();  // set once the network runs
        ContentReferences references;
        Node node;
        Namespace namespace;
        try {
            store = NamespaceStore.open(root, identity.nodeId());
            blocks = BlockStore.open(root);
            VolumeConfig volume = store.volume();
            namespace = new Namespace(store.snapshot(), store::record, new Hlc(), identity.nodeId());
            StorageSpace space = StorageSpace.of(root, blocks, options.maxStorage());
            DelugeVfs vfs = new DelugeVfs(namespace, blocks, volume.pieceLength(), store::sync, space);
            references = new ContentReferences(namespace, vfs);
            ScheduledExecutorService housekeeping = startCollector(blocks, references,
                    options.gcRetention(), id -> {
                        NodeSwarm serving = swarm.get();
                        return serving == null || serving.release(id);
                    });
            log.info("node {} of volume '{}' open on {} ({} entries)", identity.nodeId(), volume.name(), root,
                    namespace.inodeCount());
            node = new Node(root, identity, lock, store, blocks, vfs, housekeeping, space);
        } catch (IOException | RuntimeException e) {
            closeQuietly(blocks);
            closeQuietly(store);
            lock.channel().close();
            throw e;
        }
        NamespaceStore opened = store;
        // what a merge brought in shows in the live tree, and so in the mount
        opened.addListener(changes -> namespace.applyRemote(changes, opened::current));
        if (options.network() != null) {
            try {
                node.network = NodeNetwork.start(root, identity, opened, node.blocks, options.network(),
                        references::contents, node.space);
                node.vfs.connect(node.network.swarm());
                swarm.set(node.network.swarm());
            } catch (IOException | RuntimeException e) {
                node.close();
                throw e;
            }
        }
        return node;
    }

    /** Space of deleted files comes back once a collection finds their content unneeded for the window. */
    private static ScheduledExecutorService startCollector(BlockStore blocks, GarbageCollector.References references,
                                                           Duration retention, GarbageCollector.Holder holder) {
        GarbageCollector collector = new GarbageCollector(blocks, references, retention, Clock.systemUTC(), holder);
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "garbage-collector");
            t.setDaemon(true);
            return t;
        });
        long periodMillis = Math.max(500, Math.min(retention.toMillis() / 2, 30_000));
        executor.scheduleWithFixedDelay(() -> {
            try {
                collector.collect();
            } catch (IOException | RuntimeException e) {
                log.warn("garbage collection failed; retrying later: {}", e.toString());
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        return executor;
    }

    public Vfs vfs() {
        return vfs;
    }

    public NodeIdentity identity() {
        return identity;
    }

    /** Seals open files, commits, and lets go of the root. Safe to call twice and from a shutdown hook. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (network != null) {
            network.close();
        }
        housekeeping.shutdown();
        try {
            housekeeping.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean clean = closeQuietly(vfs) & closeQuietly(store) & closeQuietly(blocks);
        try {
            lock.release();
            lock.channel().close();
        } catch (IOException e) {
            log.warn("could not release the lock on {}: {}", root, e.getMessage());
        }
        if (clean) {
            log.info("node {} stopped; everything is committed", identity.nodeId());
        } else {
            log.warn("node {} stopped with errors (above); what was not committed stays in the journal", identity.nodeId());
        }
    }

    /** False if closing failed (logged). */
    private static boolean closeQuietly(Closeable c) {
        if (c == null) {
            return true;
        }
        try {
            c.close();
            return true;
        } catch (IOException | RuntimeException e) {
            log.error("error while closing {}", c.getClass().getSimpleName(), e);
            return false;
        }
    }
}
