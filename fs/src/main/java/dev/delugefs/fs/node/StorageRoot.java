package dev.delugefs.fs.node;

import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.JoinToken;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerSession;
import dev.delugefs.fs.net.ChannelSettings;
import dev.delugefs.fs.net.JoinClient;
import dev.delugefs.fs.net.JoinSecret;
import dev.delugefs.metadata.ChannelFetcher;
import dev.delugefs.metadata.Hlc;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.Record;
import dev.delugefs.metadata.VolumeConfig;
import dev.delugefs.swarm.BlockStore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** A node's storage root on disk (DESIGN.md §3): creating one, checking one, and owning one exclusively. */
public final class StorageRoot {
    static final String LOCK_FILE = "node.lock";
    static final String META_GIT = "meta.git";

    private StorageRoot() {
    }

    /** Lays out a new root for a new volume; refuses a root that has anything in it. */
    public static NodeIdentity create(Path dir, VolumeConfig volume) throws IOException {
        requireEmpty(dir);
        Files.createDirectories(dir);
        NodeIdentity identity = NodeIdentity.generate(volume.id());
        long now = Namespace.nowNanos();
        int uid = (Integer) Files.getAttribute(dir, "unix:uid");
        int gid = (Integer) Files.getAttribute(dir, "unix:gid");
        Record rootDir = Record.builder(Record.Type.DIR).mode(0755).uid(uid).gid(gid).mtime(now).ctime(now)
                .clock(new Hlc().now()).writer(identity.nodeId()).build();
        NodeKeys keys = NodeKeys.loadOrCreate(dir, "delugefs-" + identity.nodeId());
        String secret = JoinToken.newSecret();
        JoinSecret.save(dir, secret);
        try (NamespaceStore store = NamespaceStore.create(dir, volume, identity.nodeId(), rootDir)) {
            store.putFiles(Map.of(
                    "nodes/" + identity.nodeId() + ".pub", (keys.publicKeyOpenSsh().strip() + "\n").getBytes(StandardCharsets.US_ASCII),
                    JoinSecret.REPO_PREFIX + JoinToken.hashSecret(secret), new byte[0]));
        }
        ChannelSettings.fresh().save(dir);
        BlockStore.open(dir).close();
        // node.json last: a root without it is an unfinished create, never mistaken for a working node
        identity.save(dir);
        return identity;
    }

    /**
     * Lays out a root for a node joining an existing volume: asks the member named in the token to admit
     * this node's key (logging in with the join secret), then clones the volume's namespace from it.
     */
    public static NodeIdentity join(Path dir, String volumeName, JoinToken token) throws IOException {
        requireEmpty(dir);
        Files.createDirectories(dir);
        NodeIdentity identity = NodeIdentity.generate(token.volumeId());
        NodeKeys keys = NodeKeys.loadOrCreate(dir, "delugefs-" + identity.nodeId());
        try (ChannelClient client = ChannelClient.start(keys)) {
            String memberId = JoinClient.admit(client, token, identity, keys, volumeName);
            try (PeerSession member = client.member(token.hostKeyFingerprint(), token.addresses());
                 NamespaceStore store = NamespaceStore.cloneFrom(dir, identity.nodeId(),
                         repo -> ChannelFetcher.fetch(repo, member, memberId))) {
                if (!store.volume().name().equals(volumeName)) {
                    throw new IOException("the token is for volume '" + store.volume().name() + "', not '"
                            + volumeName + "'");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("could not join volume '" + volumeName + "' through "
                    + token.addresses() + ": " + e.getMessage(), e);
        }
        JoinSecret.save(dir, token.secret());
        ChannelSettings.fresh().save(dir);
        BlockStore.open(dir).close();
        identity.save(dir);
        return identity;
    }

    /** The identity of an existing root, after checking it holds the volume the user named. */
    public static NodeIdentity check(Path dir, String volumeName) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("root " + dir + " does not exist: make one with 'delugefs create " + volumeName
                    + " --root " + dir + "'");
        }
        if (!NodeIdentity.exists(dir) || !Files.isDirectory(dir.resolve(META_GIT))) {
            throw new IOException("root " + dir + " is not a DelugeFS storage root (no node.json or meta.git)");
        }
        NodeIdentity identity = NodeIdentity.load(dir);
        VolumeConfig volume = NamespaceStore.readOnly(dir).volume();
        if (!volume.name().equals(volumeName) || !volume.id().equals(identity.volumeId())) {
            throw new IOException("root " + dir + " holds volume '" + volume.name() + "', not '" + volumeName + "'");
        }
        return identity;
    }

    private static void requireEmpty(Path dir) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new IOException("root " + dir + " is not a directory");
            }
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("root " + dir + " is not empty: a new node needs an empty directory");
                }
            }
        }
    }

    /** Locks the root for this process: two nodes on one root would corrupt each other's journal. */
    public static FileLock lock(Path dir) throws IOException {
        FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.READ);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            String holder = Files.readString(dir.resolve(LOCK_FILE), StandardCharsets.US_ASCII).trim();
            throw new IOException("root " + dir + " is in use by another running node"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")"));
        }
        channel.truncate(0);
        channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
        return lock;
    }

    /** True while some node process holds the root. */
    public static boolean isLocked(Path dir) {
        Path file = dir.resolve(LOCK_FILE);
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
