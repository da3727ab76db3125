package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;

import static dev.delugefs.metadata.Fixtures.NODE;
import static dev.delugefs.metadata.Fixtures.change;
import static dev.delugefs.metadata.Fixtures.dir;
import static dev.delugefs.metadata.Fixtures.file;
import static dev.delugefs.metadata.Fixtures.record;
import static dev.delugefs.metadata.Fixtures.tombstone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreSemanticsTest {

    @TempDir
    Path root;

    private List<String> nsPaths() throws IOException {
        return Fixtures.treePaths(root.resolve("meta.git")).stream().filter(p -> p.startsWith("ns/")).toList();
    }

    @Test
    void aTombstoneReplacesTheWholeSubtree() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            Record a = dir();
            record(store, change("/a", dir()), change("/a/x", file(1)), change("/a/sub", dir()), change("/a/sub/y", file(2)));
            record(store, change("/a", tombstone()));
            record(store, change("/a", a));
            assertThat(store.snapshot()).containsOnlyKeys("/", "/a");
            assertThat(store.snapshot().get("/a")).isEqualTo(a);
            store.sync();
            assertThat(nsPaths()).containsExactly("ns/%dir", "ns/a/%dir");
        }
    }

    @Test
    void filesAndDirectoriesReplaceEachOther() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            record(store, change("/p", file(1)));
            record(store, change("/p", dir()), change("/p/child", file(2)));
            store.sync();
            assertThat(nsPaths()).containsExactly("ns/%dir", "ns/p/%dir", "ns/p/child");
            record(store, change("/p", file(3)));
            store.sync();
            assertThat(nsPaths()).containsExactly("ns/%dir", "ns/p");
            assertThat(store.snapshot()).containsOnlyKeys("/", "/p");
        }
    }

    @Test
    void renamingADirectoryNeedsOneTombstone() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            Record src = dir();
            Record f = file(9);
            record(store, change("/src", src), change("/src/f", f));
            record(store, change("/dst", src), change("/dst/f", f), change("/src", tombstone()));
            store.sync();
            assertThat(nsPaths()).containsExactly("ns/%dir", "ns/dst/%dir", "ns/dst/f", "ns/src");
            assertThat(store.snapshot().get("/src").isDeleted()).isTrue();
        }
    }

    @Test
    void nothingGoesBelowAFileASymlinkOrATombstoneAndARefusedCallChangesNothing() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 3_600_000)) {
            record(store, change("/f", file(1)), change("/t", tombstone()));
            NavigableMap<String, Record> before = store.snapshot();
            assertThatThrownBy(() -> record(store, change("/ok", dir()), change("/f/x", file(1))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/f/x").hasMessageContaining("file");
            assertThatThrownBy(() -> record(store, change("/t/x/y", file(1))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deleted");
            // a removal earlier in the same call is undone too
            assertThatThrownBy(() -> record(store, change("/f", dir()), change("/f", file(5)), change("/f/z", file(1))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(store.snapshot()).isEqualTo(before);
            store.crash();
        }
        try (NamespaceStore store = NamespaceStore.open(root, NODE)) {
            assertThat(store.snapshot()).containsOnlyKeys("/", "/f", "/t");
        }
    }

    @Test
    void snapshotIsACopyThatCallersCannotChange() throws IOException {
        try (NamespaceStore store = Fixtures.create(root, 60_000)) {
            NavigableMap<String, Record> snap = store.snapshot();
            assertThatThrownBy(() -> snap.put("/x", file(1))).isInstanceOf(UnsupportedOperationException.class);
            record(store, change("/x", file(1)));
            assertThat(snap).containsOnlyKeys("/");
        }
    }

    /**
     * Random histories over a small set of paths: the live state, what Git holds after a commit, and a
     * replayed journal must all agree.
     */
    @Test
    void randomHistoriesAgreeAcrossMemoryGitAndJournal() throws IOException {
        String[] paths = {"/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "/.git", "/.git/%dir", "/git~1", "/a/b/c/g"};
        Random random = new Random(42);
        for (int round = 0; round < 6; round++) {
            Path dir = root.resolve("r" + round);
            NavigableMap<String, Record> live;
            try (NamespaceStore store = Fixtures.create(dir, round % 2 == 0 ? 5 : 3_600_000)) {
                for (int call = 0; call < 150; call++) {
                    List<Change> changes = new ArrayList<>();
                    for (int i = random.nextInt(3); i >= 0; i--) {
                        String path = paths[random.nextInt(paths.length)];
                        Record r = switch (random.nextInt(4)) {
                            case 0, 1 -> dir();
                            case 2 -> file(random.nextInt(3));
                            default -> tombstone();
                        };
                        changes.add(change(path, r));
                    }
                    try {
                        store.record(changes);
                    } catch (IllegalArgumentException refused) {
                        // below a file: the store refuses, which is part of what is exercised
                    }
                    if (random.nextInt(40) == 0) {
                        store.sync();
                    }
                }
                live = store.snapshot();
                assertThat(NamespaceStore.readOnly(dir).records()).isEqualTo(live);
                if (round % 3 == 2) {
                    store.crash();
                }
            }
            try (NamespaceStore reopened = NamespaceStore.open(dir, NODE)) {
                assertThat(reopened.snapshot()).as("round %d", round).isEqualTo(live);
            }
            assertThat(NamespaceStore.readOnly(dir).records()).isEqualTo(live);
        }
    }
}
