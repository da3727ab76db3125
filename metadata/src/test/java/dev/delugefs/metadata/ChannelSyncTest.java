package dev.delugefs.metadata;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.delugefs.metadata.NamespaceMergeTest.file;
import static dev.delugefs.metadata.NamespaceMergeTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two nodes on loopback with real channel servers and clients, syncing their stores through VolumeSync. */
class ChannelSyncTest {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelSyncTest.class);
    private static final String A = NamespaceMergeTest.A;
    private static final String B = NamespaceMergeTest.B;
    private static final long MS = 1L << 16;
    private static final Duration SLOW_SWEEP = Duration.ofMinutes(10);
    private static final long TIMEOUT_MILLIS = 10_000;

    @TempDir
    Path tmp;

    private final List<String> members = SyncNode.members();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private SyncNode node(String id) throws IOException {
        SyncNode node = SyncNode.start(id, tmp.resolve(id.substring(0, 1)), members);
        open.add(node);
        return node;
    }

    /**
     * A has created the volume and runs its sync loop; B has cloned the volume from A over the channel and
     * knows A. A knows B too unless {@code aTellsB} is false; B's loop is not started yet.
     */
    private SyncNode[] pair(boolean aTellsB) throws IOException {
        SyncNode a = node(A);
        a.store = NamespaceStore.create(a.root, VolumeConfig.create("sync"), A, NamespaceMergeTest.dir(MS, A), 20);
        a.startSync(SLOW_SWEEP);
        SyncNode b = node(B);
        b.link(a);
        b.store = NamespaceStore.cloneFrom(b.root, B, repo -> ChannelFetcher.fetch(repo,
                b.links.peer(A).orElseThrow().session(), A), 20);
        if (aTellsB) {
            a.link(b);
        }
        return new SyncNode[]{a, b};
    }

    private SyncNode[] pair() throws IOException {
        return pair(true);
    }

    private static void put(NamespaceStore store, String path, Record record) throws IOException {
        store.record(List.of(new Change(path, record)));
        store.sync();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void aJoiningNodeClonesTheVolumeOverTheChannel() throws Exception {
        SyncNode a = node(A);
        a.store = NamespaceStore.create(a.root, VolumeConfig.create("sync"), A, NamespaceMergeTest.dir(MS, A), 20);
        put(a.store, "/f", file(2 * MS, A, id('1')));
        a.server.register(UploadPackCommand.NAME, new UploadPackCommand(a.store));
        SyncNode b = node(B);
        b.link(a);

        long start = System.nanoTime();
        b.store = NamespaceStore.cloneFrom(b.root, B, repo -> ChannelFetcher.fetch(repo,
                b.links.peer(A).orElseThrow().session(), A), 20);
        LOG.info("clone over the channel took {} ms", (System.nanoTime() - start) / 1_000_000);

        assertThat(b.store.head()).isEqualTo(a.store.head());
        assertThat(b.store.snapshot()).isEqualTo(a.store.snapshot());
        assertThat(b.store.volume()).isEqualTo(a.store.volume());
        try (Git git = Git.open(b.root.resolve("meta.git").toFile())) {
            assertThat(git.getRepository().getConfig().getInt("gc", "auto", -1)).isZero();
            assertThat(git.getRepository().getConfig().getInt("gc", "autopacklimit", -1)).isZero();
        }
        b.store.putFiles(Map.of("nodes/" + B + ".pub", b.keys.publicKeyOpenSsh().getBytes(StandardCharsets.UTF_8)));
        assertThat(b.store.files("nodes/")).containsKeys("nodes/" + A + ".json", "nodes/" + B + ".pub");
    }

    @Test
    void cloningSomethingThatIsNotAVolumeIsRefusedAndLeavesNothing() throws Exception {
        Path other = tmp.resolve("plain.git");
        ObjectId commit;
        try (Git git = Git.init().setBare(false).setDirectory(tmp.resolve("plain").toFile()).call()) {
            Files.writeString(tmp.resolve("plain/readme"), "hello");
            git.add().addFilepattern("readme").call();
            commit = git.commit().setMessage("not a volume").setAuthor("x", "x@y").setCommitter("x", "x@y").call();
        }
        Path root = tmp.resolve("joiner");
        URIish plain = new URIish(tmp.resolve("plain/.git").toString());
        // Transport rather than Git.fetch(): the latter schedules a background gc that would race the clean-up
        assertThatThrownBy(() -> NamespaceStore.cloneFrom(root, B, repo -> {
            try (Transport transport = Transport.open(repo, plain)) {
                transport.fetch(NullProgressMonitor.INSTANCE, List.of(new RefSpec("+refs/heads/*:refs/remotes/x/*")));
            }
            return commit;
        }, 20)).isInstanceOf(IOException.class).hasMessageContaining("not a DelugeFS volume");
        assertThat(root.resolve("meta.git")).doesNotExist();
        assertThat(other).doesNotExist();
    }

    @Test
    void aChangeOnOneNodeReachesTheOtherThroughPullFrom() throws Exception {
        SyncNode[] nodes = pair();
        SyncNode a = nodes[0];
        SyncNode b = nodes[1];
        b.startSync(SLOW_SWEEP);
        a.store.putFiles(Map.of("warmup", new byte[]{1}));
        await("B has the warm-up commit", () -> containsQuietly(b.store, a.store.head()));

        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String path = "/file-" + i;
            long start = System.nanoTime();
            a.store.record(List.of(new Change(path, file((10 + i) * MS, A, id('1')))));
            await("B sees " + path, () -> b.store.snapshot().containsKey(path));
            latencies.add((System.nanoTime() - start) / 1_000_000);
        }
        Collections.sort(latencies);
        LOG.info("record on A -> visible on B (commit delay 20 ms): p50 {} ms, max {} ms, all {}",
                latencies.get(latencies.size() / 2), latencies.get(latencies.size() - 1), latencies);
        assertThat(a.sync.stats().noticesSent()).isPositive();
        assertThat(b.sync.stats().fetches()).isPositive();
        assertThat(b.sync.stats().pullFailures()).isZero();
    }

    @Test
    void concurrentEditsConvergeWithAConflictCopy() throws Exception {
        SyncNode[] nodes = pair();
        SyncNode a = nodes[0];
        SyncNode b = nodes[1];
        Record onA = file(200 * MS, A, id('2'));
        Record onB = file(300 * MS, B, id('3'));
        put(a.store, "/f", onA);
        put(b.store, "/f", onB);
        put(a.store, "/only-a", file(210 * MS, A, id('4')));

        b.startSync(SLOW_SWEEP);
        a.sync.pullSoon(B);
        b.sync.pullSoon(A);

        String copy = NamespaceMerge.copyPath("/f", onA);
        await("both heads agree and hold the conflict copy", () -> a.store.head().equals(b.store.head())
                && a.store.snapshot().containsKey(copy));
        NavigableMap<String, Record> merged = a.store.snapshot();
        assertThat(b.store.snapshot()).isEqualTo(merged);
        assertThat(merged.get("/f")).isEqualTo(onB);
        assertThat(merged.get(copy)).isEqualTo(onA);
        assertThat(merged).containsKey("/only-a");
    }

    @Test
    void theSweepAloneCatchesUpAfterAMissedNotice() throws Exception {
        // A does not know B, so it tells it nothing; only B's sweep can find A's change
        SyncNode[] nodes = pair(false);
        SyncNode a = nodes[0];
        SyncNode b = nodes[1];
        b.startSync(Duration.ofMillis(200));

        long start = System.nanoTime();
        put(a.store, "/missed", file(50 * MS, A, id('5')));
        await("B sees /missed", () -> b.store.snapshot().containsKey("/missed"));
        LOG.info("sweep (200 ms) caught up after {} ms", (System.nanoTime() - start) / 1_000_000);
        assertThat(a.sync.stats().noticesSent()).isZero();
        assertThat(b.store.head()).isEqualTo(a.store.head());
        long fetches = b.sync.stats().fetches();
        Thread.sleep(600);
        assertThat(b.sync.stats().fetches()).as("a sweep fetches only when the peer's head is new to us")
                .isEqualTo(fetches);
    }

    @Test
    void filesOutsideTheNamespaceRoundTripAndMergeFromBothSides() throws Exception {
        SyncNode[] nodes = pair();
        SyncNode a = nodes[0];
        SyncNode b = nodes[1];
        byte[] secret = "admit".getBytes(StandardCharsets.UTF_8);
        a.store.putFiles(Map.of("join/abc123", secret, "shared/x", bytes("from A")));
        b.store.putFiles(Map.of("nodes/" + B + ".json", bytes("{\"nodeId\":\"" + B + "\"}\n")));
        Thread.sleep(1100);
        // both sides change shared/x; the later head commit wins
        b.store.putFiles(Map.of("shared/x", bytes("from B")));
        assertThat(a.store.files("join/")).containsOnlyKeys("join/abc123");
        assertThat(a.store.files("join/").get("join/abc123")).isEqualTo(secret);
        assertThatThrownBy(() -> a.store.putFiles(Map.of("ns/x", secret))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.store.putFiles(Map.of("volume.json", secret)))
                .isInstanceOf(IllegalArgumentException.class);

        b.startSync(SLOW_SWEEP);
        a.sync.pullSoon(B);
        b.sync.pullSoon(A);
        await("heads agree", () -> a.store.head().equals(b.store.head()));

        for (SyncNode n : nodes) {
            NavigableMap<String, byte[]> files = n.store.files("");
            assertThat(files).containsKeys("join/abc123", "nodes/" + A + ".json", "nodes/" + B + ".json",
                    "volume.json", "shared/x");
            assertThat(files.keySet()).noneMatch(p -> p.startsWith("ns/"));
            assertThat(new String(files.get("shared/x"), StandardCharsets.UTF_8)).isEqualTo("from B");
            assertThat(n.store.files("join/").get("join/abc123")).isEqualTo(secret);
        }
    }

    @Test
    void commitListenersHearLocalCommitsOnly() throws Exception {
        SyncNode[] nodes = pair();
        SyncNode a = nodes[0];
        SyncNode b = nodes[1];
        List<ObjectId> heard = Collections.synchronizedList(new ArrayList<>());
        b.store.addCommitListener(heard::add);
        put(b.store, "/x", file(60 * MS, B, id('6')));
        assertThat(heard).containsExactly(b.store.head());
        b.store.putFiles(Map.of("join/k", bytes("k")));
        assertThat(heard).hasSize(2).last().isEqualTo(b.store.head());
        put(a.store, "/y", file(70 * MS, A, id('7')));
        ObjectId theirs = b.store.fetch(repo -> ChannelFetcher.fetch(repo, b.links.peer(A).orElseThrow().session(), A));
        assertThat(b.store.mergeFrom(theirs).status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(heard).hasSize(2);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean containsQuietly(NamespaceStore store, ObjectId commit) {
        try {
            return store.contains(commit);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
