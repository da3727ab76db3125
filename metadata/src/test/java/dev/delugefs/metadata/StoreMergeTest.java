package dev.delugefs.metadata;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.RefSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;

import static dev.delugefs.metadata.NamespaceMergeTest.file;
import static dev.delugefs.metadata.NamespaceMergeTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Two or three stores in temp dirs that fetch from each other with JGit's file transport, then merge. */
class StoreMergeTest {

    private static final String NODE_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final String NODE_C = "cccccccccccccccccccccccccccccccc";
    private static final String A = NamespaceMergeTest.A;
    private static final String B = NamespaceMergeTest.B;
    private static final long MS = 1L << 16;

    @TempDir
    Path tmp;

    private final List<NamespaceStore> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (NamespaceStore s : open) {
            s.close();
        }
    }

    private NamespaceStore create(String name) throws IOException {
        NamespaceStore store = Fixtures.create(tmp.resolve(name), 20);
        open.add(store);
        return store;
    }

    /** A second node of the volume: a bare clone of the first's repo, opened under its own id. */
    private NamespaceStore join(String from, String name, String nodeId, long commitDelay) throws Exception {
        try (Git clone = Git.cloneRepository().setBare(true).setURI(gitDir(from).toUri().toString())
                .setDirectory(gitDir(name).toFile()).call()) {
            // as the store configures its own repo (DESIGN §10); a background auto-gc after a fetch would
            // otherwise race the committer for main's lock
            StoredConfig config = clone.getRepository().getConfig();
            config.setInt("gc", null, "auto", 0);
            config.setInt("gc", null, "autopacklimit", 0);
            config.save();
        }
        NamespaceStore store = NamespaceStore.open(tmp.resolve(name), nodeId, commitDelay);
        open.add(store);
        return store;
    }

    private Path gitDir(String name) {
        return tmp.resolve(name).resolve("meta.git");
    }

    /** What the SSH channel will do later: fetch a peer's main into refs/remotes/PEER/main. */
    private ObjectId fetch(String into, String from) throws IOException, GitAPIException {
        try (Git git = Git.open(gitDir(into).toFile())) {
            String ref = "refs/remotes/" + from + "/main";
            git.fetch().setRemote(gitDir(from).toUri().toString())
                    .setRefSpecs(new RefSpec("+refs/heads/main:" + ref)).call();
            return git.getRepository().exactRef(ref).getObjectId();
        }
    }

    private static void put(NamespaceStore store, String path, Record record) throws IOException {
        store.record(List.of(new Change(path, record)));
        store.sync();
    }

    private void fsck(String name) throws Exception {
        assumeTrue(Fixtures.gitAvailable(), "git CLI not installed");
        Fixtures.git(gitDir(name), "fsck", "--strict", "--no-dangling");
    }

    @Test
    void concurrentEditsMergedBothWaysGiveOneCommitAndKeepBothContents() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/f", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        put(a, "/f", file(200 * MS, A, id('2')));
        put(b, "/f", file(300 * MS, B, id('3')));

        ObjectId bHead = fetch("a", "b");
        ObjectId aHead = fetch("b", "a");
        MergeResult onA = a.mergeFrom(bHead);
        MergeResult onB = b.mergeFrom(aHead);

        assertThat(onA.status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(onB.status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(onA.head()).isEqualTo(onB.head()).isEqualTo(a.head()).isEqualTo(b.head());
        String copy = NamespaceMerge.copyPath("/f", file(200 * MS, A, id('2')));
        assertThat(onA.conflictCopies()).containsExactly(copy);
        NavigableMap<String, Record> merged = a.snapshot();
        assertThat(b.snapshot()).isEqualTo(merged);
        assertThat(merged.get("/f").content().id()).isEqualTo(id('3'));
        assertThat(merged.get(copy).content().id()).isEqualTo(id('2'));
        assertThat(Fixtures.treePaths(gitDir("a"))).isEqualTo(Fixtures.treePaths(gitDir("b")));

        assertThat(a.mergeFrom(fetch("a", "b")).status()).isEqualTo(MergeResult.Status.UP_TO_DATE);
        fsck("a");
        fsck("b");
    }

    @Test
    void aMergeCommitIsFastForwardedByThePeer() throws Exception {
        NamespaceStore a = create("a");
        NamespaceStore b = join("a", "b", NODE_B, 20);
        put(a, "/x", file(100 * MS, A, id('1')));
        put(b, "/y", file(100 * MS, B, id('2')));
        MergeResult onA = a.mergeFrom(fetch("a", "b"));
        MergeResult onB = b.mergeFrom(fetch("b", "a"));
        assertThat(onA.status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(onB.status()).isEqualTo(MergeResult.Status.FAST_FORWARD);
        assertThat(b.head()).isEqualTo(a.head());
        assertThat(b.snapshot()).containsKeys("/x", "/y").isEqualTo(a.snapshot());
        assertThat(onB.changes()).extracting(Change::path).containsExactly("/x");
        fsck("b");
    }

    @Test
    void deleteVsEditKeepsTheEdit() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/f", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        put(a, "/f", Record.tombstone(300 * MS, A));
        Record edit = file(200 * MS, B, id('2'));
        put(b, "/f", edit);

        a.mergeFrom(fetch("a", "b"));
        b.mergeFrom(fetch("b", "a"));
        NavigableMap<String, Record> merged = a.snapshot();
        assertThat(b.snapshot()).isEqualTo(merged);
        assertThat(merged.get("/f").isDeleted()).isTrue();
        assertThat(merged.get(NamespaceMerge.copyPath("/f", edit))).isEqualTo(edit);
        fsck("a");
    }

    @Test
    void renameVsEditKeepsBoth() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/d", NamespaceMergeTest.dir(50 * MS, A));
        put(a, "/d/f", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        a.record(List.of(new Change("/d/f", Record.tombstone(300 * MS, A)),
                new Change("/g", file(300 * MS + 1, A, id('1')))));
        a.sync();
        Record edit = file(200 * MS, B, id('2'));
        put(b, "/d/f", edit);

        b.mergeFrom(fetch("b", "a"));
        a.mergeFrom(fetch("a", "b"));
        NavigableMap<String, Record> merged = b.snapshot();
        assertThat(a.snapshot()).isEqualTo(merged);
        assertThat(merged.get("/g").content().id()).isEqualTo(id('1'));
        assertThat(merged.get("/d/f").isDeleted()).isTrue();
        assertThat(merged.get(NamespaceMerge.copyPath("/d/f", edit))).isEqualTo(edit);
        fsck("b");
    }

    @Test
    void changesStillInTheJournalAreMergedNotLost() throws Exception {
        NamespaceStore a = create("a");
        NamespaceStore b = join("a", "b", NODE_B, 60_000);
        put(a, "/from-a", file(100 * MS, A, id('1')));
        b.record(List.of(new Change("/from-b", file(100 * MS, B, id('2')))));
        ObjectId before = b.head();

        MergeResult r = b.mergeFrom(fetch("b", "a"));
        assertThat(r.status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(b.head()).isNotEqualTo(before);
        assertThat(b.snapshot()).containsKeys("/from-a", "/from-b");
        b.record(List.of(new Change("/after", file(200 * MS, B, id('3')))));
        b.close();
        open.remove(b);
        assertThat(Fixtures.treePaths(gitDir("b"))).contains("ns/from-a", "ns/from-b", "ns/after");
        try (NamespaceStore again = NamespaceStore.open(tmp.resolve("b"), NODE_B, 20)) {
            assertThat(again.snapshot()).containsKeys("/from-a", "/from-b", "/after");
        }
        fsck("b");
    }

    @Test
    void listenersAndTheLiveTreeFollowAMerge() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/old", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        Namespace live = new Namespace(b.snapshot(), b::record, new Hlc(), NODE_B);
        Inode old = live.lookup("/old");
        List<List<Change>> heard = new ArrayList<>();
        b.addListener(heard::add);
        b.addListener(live::applyRemote);

        a.record(List.of(new Change("/old", Record.tombstone(200 * MS, A)),
                new Change("/new", NamespaceMergeTest.dir(200 * MS + 1, A)),
                new Change("/new/x", file(200 * MS + 2, A, id('2')))));
        a.sync();
        b.mergeFrom(fetch("b", "a"));

        assertThat(heard).hasSize(1);
        assertThat(heard.get(0)).extracting(Change::path).containsExactly("/new", "/new/x", "/old");
        assertThat(heard.get(0).get(2).record().isDeleted()).isTrue();
        assertThat(live.lookup("/new/x").record().content().id()).isEqualTo(id('2'));
        assertThat(old.isLinked()).isFalse();
        // a local change after the merge orders after everything merged
        live.mkdir("/later", 0755, 0, 0);
        assertThat(live.lookup("/later").record().clock()).isGreaterThan(200 * MS + 2);
        assertThat(b.mergeFrom(fetch("b", "a")).status()).isEqualTo(MergeResult.Status.UP_TO_DATE);
        assertThat(heard).hasSize(1);
    }

    @Test
    void threeStoresConverge() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/f", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        NamespaceStore c = join("a", "c", NODE_C, 20);
        put(a, "/f", file(200 * MS, A, id('2')));
        put(b, "/f", file(300 * MS, B, id('3')));
        put(c, "/f", Record.tombstone(250 * MS, NODE_C));
        put(c, "/c-only", file(260 * MS, NODE_C, id('4')));
        NamespaceStore[] stores = {a, b, c};
        String[] names = {"a", "b", "c"};
        for (int round = 0; round < 4 && !(a.head().equals(b.head()) && b.head().equals(c.head())); round++) {
            for (int i = 0; i < 3; i++) {
                int j = (i + 1 + round % 2) % 3;
                stores[i].mergeFrom(fetch(names[i], names[j]));
            }
        }
        assertThat(b.head()).isEqualTo(a.head());
        assertThat(c.head()).isEqualTo(a.head());
        NavigableMap<String, Record> merged = a.snapshot();
        assertThat(merged.get("/f").content().id()).isEqualTo(id('3'));
        assertThat(merged.get(NamespaceMerge.copyPath("/f", file(200 * MS, A, id('2'))))).isNotNull();
        assertThat(merged).containsKey("/c-only");
        for (String name : names) {
            fsck(name);
        }
    }

    @Test
    void aMergeCostsWhatDiffersNotTheWholeNamespace() throws Exception {
        NamespaceStore a = create("a");
        List<Change> many = new ArrayList<>();
        for (int d = 0; d < 50; d++) {
            many.add(new Change("/d" + d, NamespaceMergeTest.dir(10 * MS, A)));
            for (int f = 0; f < 100; f++) {
                many.add(new Change("/d" + d + "/f" + f, file(10 * MS + f, A, id('1'))));
            }
        }
        a.record(many);
        a.sync();
        NamespaceStore b = join("a", "b", NODE_B, 20);
        for (int i = 0; i < 10; i++) {
            a.record(List.of(new Change("/d" + i + "/f1", file(200 * MS + i, A, id('2')))));
            b.record(List.of(new Change("/d" + (i + 5) + "/f2", file(200 * MS + i, B, id('3')))));
        }
        a.sync();
        b.sync();
        ObjectId theirs = fetch("a", "b");
        long start = System.nanoTime();
        MergeResult r = a.mergeFrom(theirs);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.status()).isEqualTo(MergeResult.Status.MERGED);
        assertThat(r.changes()).hasSize(10);
        // a full read of 5,050 records takes about a second here; reading only what differs, a few ms
        assertThat(millis).as("merge of 10 changes into 5,050 records took %d ms", millis).isLessThan(700);
        assertThat(b.mergeFrom(fetch("b", "a")).status()).isEqualTo(MergeResult.Status.FAST_FORWARD);
        assertThat(b.snapshot()).isEqualTo(a.snapshot());
    }

    @Test
    void anotherVolumeIsRefused() throws Exception {
        NamespaceStore a = create("a");
        NamespaceStore other = create("other");
        put(other, "/x", file(100 * MS, B, id('1')));
        ObjectId before = a.head();
        assertThatThrownBy(() -> a.mergeFrom(fetch("a", "other"))).isInstanceOf(IOException.class)
                .hasMessageContaining("refusing to merge");
        assertThat(a.head()).isEqualTo(before);
        assertThat(a.snapshot()).doesNotContainKey("/x");
    }

    @Test
    void aLocalChangeBetweenMergeAndListenerIsNotUndone() throws Exception {
        NamespaceStore a = create("a");
        put(a, "/f", file(100 * MS, A, id('1')));
        NamespaceStore b = join("a", "b", NODE_B, 20);
        Namespace live = new Namespace(b.snapshot(), b::record, new Hlc(), NODE_B);
        Inode f = live.lookup("/f");
        b.addListener(changes -> {
            try {
                // a write that reaches the store after the merge and before the tree hears of it
                live.update(f, r -> file(900 * MS, NODE_B, id('9')));
            } catch (FsException e) {
                throw new AssertionError(e);
            }
            live.applyRemote(changes, b::current);
        });
        put(a, "/f", file(200 * MS, A, id('2')));
        put(a, "/g", file(200 * MS + 1, A, id('3')));

        b.mergeFrom(fetch("b", "a"));
        assertThat(b.snapshot().get("/f").content().id()).isEqualTo(id('9'));
        assertThat(live.lookup("/f").record()).isEqualTo(b.snapshot().get("/f"));
        assertThat(live.lookup("/g").record().content().id()).isEqualTo(id('3'));
    }
}
