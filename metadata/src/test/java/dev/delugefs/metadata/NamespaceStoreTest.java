package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;

import static dev.delugefs.metadata.Fixtures.NODE;
import static dev.delugefs.metadata.Fixtures.change;
import static dev.delugefs.metadata.Fixtures.dir;
import static dev.delugefs.metadata.Fixtures.file;
import static dev.delugefs.metadata.Fixtures.record;
import static dev.delugefs.metadata.Fixtures.tombstone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NamespaceStoreTest {

    @TempDir
    Path root;

    private Path gitDir() {
        return root.resolve("meta.git");
    }

    @Test
    void createThenOpenRoundTrips() throws IOException {
        VolumeConfig volume = VolumeConfig.create("round-trip", 3, 1 << 16);
        Record rootDir = dir();
        NavigableMap<String, Record> before;
        ObjectId head;
        try (NamespaceStore store = NamespaceStore.create(root, volume, NODE, rootDir)) {
            assertThat(store.volume()).isEqualTo(volume);
            assertThat(store.snapshot()).containsExactlyEntriesOf(new java.util.TreeMap<>(java.util.Map.of("/", rootDir)));
            record(store, change("/docs", dir()), change("/docs/a.txt", file(10)), change("/link",
                    Record.builder(Record.Type.SYMLINK).target("docs/a.txt").size(10).writer(NODE).clock(5).build()));
            record(store, change("/empty", file(0)));
            before = store.snapshot();
            assertThat(before).containsOnlyKeys("/", "/docs", "/docs/a.txt", "/link", "/empty");
            store.sync();
            head = store.head();
        }
        try (NamespaceStore store = NamespaceStore.open(root, NODE)) {
            assertThat(store.volume()).isEqualTo(volume);
            assertThat(store.snapshot()).isEqualTo(before);
            assertThat(store.head()).isEqualTo(head);
        }
        assertThat(NamespaceStore.readOnly(root)).isEqualTo(new NamespaceStore.Snapshot(volume, before));
    }

    @Test
    void aNewReplicationTargetIsCommittedAndTheRestOfTheVolumeStays() throws IOException {
        VolumeConfig volume = VolumeConfig.create("copies", 2, 1 << 16);
        try (NamespaceStore store = NamespaceStore.create(root, volume, NODE, dir())) {
            ObjectId before = store.head();
            store.setReplication(3);
            assertThat(store.head()).as("committed at once").isNotEqualTo(before);
            VolumeConfig now = VolumeConfig.fromJson(store.files(VolumeConfig.FILE_NAME).get(VolumeConfig.FILE_NAME));
            assertThat(now).isEqualTo(volume.withReplication(3));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.setReplication(0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(NamespaceStore.readOnly(root).volume().replication()).isEqualTo(3);
    }

    @Test
    void layoutFollowsTheDesign() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 50)) {
            record(store, change("/d", dir()), change("/d/f", file(1)), change("/gone", tombstone()));
            store.sync();
        }
        assertThat(Fixtures.treePaths(gitDir())).containsExactly(
                "nodes/" + NODE + ".json", "ns/%dir", "ns/d/%dir", "ns/d/f", "ns/gone", "volume.json");
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir().toFile()).build()) {
            assertThat(repo.isBare()).isTrue();
            assertThat(repo.getFullBranch()).isEqualTo("refs/heads/main");
            assertThat(repo.getConfig().getInt("gc", "auto", -1)).isZero();
            assertThat(repo.getConfig().getInt("gc", "autopacklimit", -1)).isZero();
        }
        assertThat(root.resolve("journal")).isDirectory();
    }

    @Test
    void genesisIsTheSameCommitForEveryVolume(@TempDir Path other) throws IOException {
        try (NamespaceStore a = Fixtures.create(root, 50);
             NamespaceStore b = NamespaceStore.create(other, VolumeConfig.create("other"), dev.delugefs.discovery.NodeIdentity.randomId(), dir())) {
            assertThat(a.head()).isNotEqualTo(b.head());
        }
        ObjectId genesis = Fixtures.rootCommit(gitDir());
        assertThat(Fixtures.rootCommit(other.resolve("meta.git"))).isEqualTo(genesis);
        assertThat(NamespaceStore.genesisId()).isEqualTo(genesis);
        String bytes = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                + "author delugefs <genesis@delugefs> 0 +0000\n"
                + "committer delugefs <genesis@delugefs> 0 +0000\n\ngenesis\n";
        try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
            assertThat(f.idFor(org.eclipse.jgit.lib.Constants.OBJ_COMMIT, bytes.getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo(genesis);
        }
    }

    @Test
    void createRefusesAnExistingRepoAndOpenRefusesWhatIsNotAVolume(@TempDir Path plain) throws IOException {
        Fixtures.create(root, 50).close();
        assertThatThrownBy(() -> Fixtures.create(root, 50)).isInstanceOf(IOException.class).hasMessageContaining("already exists");

        assertThatThrownBy(() -> NamespaceStore.open(plain, NODE)).isInstanceOf(IOException.class)
                .hasMessageContaining("meta.git");
        assertThatThrownBy(() -> NamespaceStore.readOnly(plain)).isInstanceOf(IOException.class)
                .hasMessageContaining("meta.git");

        try (Repository repo = FileRepositoryBuilder.create(plain.resolve("meta.git").toFile())) {
            repo.create(true);
        }
        assertThatThrownBy(() -> NamespaceStore.open(plain, NODE)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a DelugeFS volume");
        assertThatThrownBy(() -> NamespaceStore.open(root, "not-a-node-id")).isInstanceOf(IllegalArgumentException.class);

        Path genesisOnly = plain.resolve("genesis-only");
        MetaRepo.init(genesisOnly.resolve("meta.git")).close();
        assertThatThrownBy(() -> NamespaceStore.open(genesisOnly, NODE)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a DelugeFS volume").hasMessageContaining("volume.json");
    }

    @Test
    void oneStorePerRoot() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 50)) {
            assertThatThrownBy(() -> NamespaceStore.open(root, NODE)).isInstanceOf(IOException.class)
                    .hasMessageContaining("already open");
            assertThat(NamespaceStore.readOnly(root).records()).containsOnlyKeys("/");
        }
        NamespaceStore.open(root, NODE).close();
    }

    @Test
    void syncCommitsAndEmptiesTheJournal() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            ObjectId created = store.head();
            record(store, change("/a", file(1)));
            record(store, change("/b", file(2)));
            assertThat(store.head()).isEqualTo(created);
            store.sync();
            assertThat(store.head()).isNotEqualTo(created);
            assertThat(Fixtures.treePaths(gitDir())).contains("ns/a", "ns/b");
            assertThat(Journal.read(root.resolve("journal")).calls()).isEmpty();
            ObjectId synced = store.head();
            store.sync();
            assertThat(store.head()).isEqualTo(synced);
        }
    }

    @Test
    void groupCommitHappensOnItsOwn() throws Exception {
        try (NamespaceStore store = Fixtures.create(root, 50)) {
            ObjectId created = store.head();
            for (int i = 0; i < 20; i++) {
                record(store, change("/f" + i, file(i)));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (!Fixtures.treePaths(gitDir()).contains("ns/f19") && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Fixtures.treePaths(gitDir())).contains("ns/f0", "ns/f19");
            assertThat(store.head()).isNotEqualTo(created);
            assertThat(Fixtures.commitCount(gitDir())).isLessThan(20);
        }
    }

    @Test
    void aChangeThatLeavesTheTreeAsItWasMakesNoCommit() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            Record f = file(3);
            record(store, change("/same", f));
            store.sync();
            ObjectId head = store.head();
            record(store, change("/same", f));
            record(store, change("/tmp", file(1)), change("/tmp", tombstone()));
            record(store, change("/gone", tombstone()));
            store.sync();
            assertThat(store.head()).isNotEqualTo(head);
            ObjectId after = store.head();
            record(store, change("/same", f));
            store.sync();
            assertThat(store.head()).isEqualTo(after);
        }
    }

    @Test
    void aCommitWritesOnlyTheChangedBlobAndTheTreesAboveIt() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            List<Change> many = new java.util.ArrayList<>();
            for (int d = 0; d < 10; d++) {
                many.add(change("/d" + d, dir()));
                for (int i = 0; i < 50; i++) {
                    many.add(change("/d" + d + "/f" + i, file(i)));
                }
            }
            store.record(many);
            store.sync();
            java.util.Set<Path> before = packIndexes();
            record(store, change("/d3/new", file(1)));
            store.sync();
            java.util.Set<Path> added = packIndexes();
            added.removeAll(before);
            assertThat(added).hasSize(1);
            // the blob, the trees /, ns and ns/d3, and the commit
            assertThat(org.eclipse.jgit.internal.storage.file.PackIndex.open(added.iterator().next().toFile())
                    .getObjectCount()).isEqualTo(5);
        }
    }

    private java.util.Set<Path> packIndexes() throws IOException {
        try (var files = Files.list(gitDir().resolve("objects/pack"))) {
            return files.filter(p -> p.toString().endsWith(".idx")).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void createRefusesARootWithAnOldJournal(@TempDir Path other) throws IOException {
        Files.createDirectories(other.resolve("journal"));
        Files.writeString(other.resolve("journal").resolve(Journal.fileName(7)), "");
        assertThatThrownBy(() -> Fixtures.create(other, 50)).isInstanceOf(IOException.class)
                .hasMessageContaining("journal segments");
        assertThat(other.resolve("meta.git")).doesNotExist();
    }

    @Test
    void gitCliReadsTheCommits() throws Exception {
        assumeTrue(Fixtures.gitAvailable(), "git CLI not installed");
        String odd = "\n.git" + (char) 0xFF;
        Record f = file(7);
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            record(store, change("/.git", dir()), change("/.git/" + odd, f), change("/git~1", dir()),
                    change("/%dir", file(1)), change("/\u00c3\u00a9", file(2)));
            store.sync();
        }
        String names = Fixtures.git(gitDir(), "ls-tree", "-r", "--name-only", "main");
        assertThat(names.lines()).contains("ns/%2Egit/%dir", "ns/%2Egit/%0A.git%FF", "ns/git%7E1/%dir",
                "ns/%25dir", "ns/%C3%A9", "volume.json", "nodes/" + NODE + ".json");
        assertThat(Fixtures.git(gitDir(), "cat-file", "blob", "main:ns/%2Egit/%0A.git%FF"))
                .isEqualTo(new String(RecordJson.toJson(f), StandardCharsets.ISO_8859_1));
        Fixtures.git(gitDir(), "fsck", "--strict", "--no-dangling");
        assertThat(Fixtures.git(gitDir(), "log", "--format=%an <%ae>", "main").lines())
                .containsExactly("delugefs <" + NODE + "@delugefs>", "delugefs <" + NODE + "@delugefs>",
                        "delugefs <genesis@delugefs>");
        NavigableMap<String, Record> records = NamespaceStore.readOnly(root).records();
        assertThat(records).containsKeys("/.git/" + odd, "/git~1", "/%dir", "/\u00c3\u00a9");
        assertThat(records.get("/.git/" + odd)).isEqualTo(f);
    }

    @Test
    void readOnlySeesJournaledChangesOfARunningStore() throws Exception {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            record(store, change("/committed", file(1)));
            store.sync();
            record(store, change("/journaled", file(2)), change("/committed", tombstone()));
            NamespaceStore.Snapshot seen = NamespaceStore.readOnly(root);
            assertThat(seen.records()).isEqualTo(store.snapshot());
            assertThat(seen.records().get("/committed").isDeleted()).isTrue();
            assertThat(seen.volume()).isEqualTo(store.volume());
        }
    }

    @Test
    void aFailedCommitLosesNothingAndIsRetried() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            record(store, change("/before", file(1)));
            Path lock = gitDir().resolve("refs/heads/main.lock");
            Files.writeString(lock, "held by a test");
            assertThatThrownBy(store::sync).isInstanceOf(IOException.class).hasMessageContaining("commit failed");
            record(store, change("/during", file(2)));
            assertThat(store.snapshot()).containsKeys("/before", "/during");
            Files.delete(lock);
            store.sync();
            assertThat(Fixtures.treePaths(gitDir())).contains("ns/before", "ns/during");
            assertThat(Journal.read(root.resolve("journal")).calls()).isEmpty();
        }
        assertThat(NamespaceStore.readOnly(root).records()).containsKeys("/before", "/during");
    }

    @Test
    void recordAfterCloseIsRefused() throws IOException {
        NamespaceStore store = Fixtures.create(root, 50);
        store.close();
        store.close();
        assertThatThrownBy(() -> record(store, change("/x", file(1)))).isInstanceOf(IllegalStateException.class);
        assertThat(NamespaceStore.readOnly(root).records()).containsOnlyKeys("/");
        store.record(List.of());
    }
}
