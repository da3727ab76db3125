package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NamespaceTest {
    private static final String NODE = "0123456789abcdef0123456789abcdef";
    private final List<List<Change>> calls = new ArrayList<>();

    private static Record dir() {
        return Record.builder(Record.Type.DIR).mode(0755).clock(1).writer(NODE).build();
    }

    private static Record file(long size) {
        return Record.builder(Record.Type.FILE).size(size).mode(0644).clock(1).writer(NODE).build();
    }

    private Namespace namespace(TreeMap<String, Record> snapshot) {
        return new Namespace(snapshot, calls::add, new Hlc(), NODE);
    }

    @Test
    void loadsTheTreeAndSkipsTombstones() throws FsException {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        snapshot.put("/a", dir());
        snapshot.put("/a/f", file(0));
        snapshot.put("/a-b", file(0));
        snapshot.put("/gone", Record.tombstone(5, NODE));
        Namespace ns = namespace(snapshot);

        assertThat(ns.list(ns.root())).extracting(Namespace.Entry::name).containsExactly("a", "a-b");
        assertThat(ns.lookup("/a/f").type()).isEqualTo(Record.Type.FILE);
        assertThat(ns.lookup("/a").nlink()).isEqualTo(2);
        assertThat(ns.root().nlink()).isEqualTo(3);
        assertThat(ns.inodeCount()).isEqualTo(4);
        assertThatThrownBy(() -> ns.lookup("/gone")).isInstanceOf(FsException.class);
    }

    @Test
    void everyChangeIsOneJournalCallWithTheParentTouched() throws FsException {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        Namespace ns = namespace(snapshot);
        ns.mkdir("/d", 0755, 0, 0);
        ns.createFile("/d/f", 0644, 0, 0, true);
        ns.unlink("/d/f");

        assertThat(calls).hasSize(3);
        assertThat(calls.get(1)).extracting(Change::path).containsExactly("/d/f", "/d");
        assertThat(calls.get(2).get(0).record().isDeleted()).isTrue();
        long before = calls.get(1).get(1).record().clock();
        assertThat(calls.get(2).get(1).record().clock()).isGreaterThan(before);
    }

    @Test
    void pathOfFollowsRenamesAndForgetsUnlinkedInodes() throws FsException {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        Namespace ns = namespace(snapshot);
        ns.mkdir("/a", 0755, 0, 0);
        Inode f = ns.createFile("/a/f", 0644, 0, 0, true).inode();
        ns.rename("/a", "/b");
        assertThat(ns.pathOf(f)).isEqualTo("/b/f");
        assertThat(f.isLinked()).isTrue();
        ns.unlink("/b/f");
        assertThat(ns.pathOf(f)).isNull();
        assertThat(f.isLinked()).isFalse();
    }

    @Test
    void updateOfAnUnlinkedInodeWritesNothing() throws FsException {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        Namespace ns = namespace(snapshot);
        Inode f = ns.createFile("/f", 0644, 0, 0, true).inode();
        ns.unlink("/f");
        int before = calls.size();
        ns.update(f, r -> r.toBuilder().mode(0600).build());
        assertThat(calls).hasSize(before);
        assertThat(f.record().mode()).isEqualTo(0600);
    }

    /** A full disk fails the journal write; the live tree must then still match what the store holds. */
    @Test
    void aFailedJournalWriteLeavesTheTreeUnchanged() throws FsException {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        boolean[] full = {false};
        Namespace ns = new Namespace(snapshot, changes -> {
            if (full[0]) {
                throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
            }
        }, new Hlc(), NODE);
        ns.mkdir("/d", 0755, 0, 0);
        Inode f = ns.createFile("/d/f", 0644, 0, 0, true).inode();
        Record rootBefore = ns.root().record();
        Record dirBefore = ns.lookup("/d").record();
        full[0] = true;

        assertThatThrownBy(() -> ns.mkdir("/e", 0755, 0, 0)).isInstanceOf(java.io.UncheckedIOException.class);
        assertThatThrownBy(() -> ns.createFile("/d/g", 0644, 0, 0, true)).isInstanceOf(java.io.UncheckedIOException.class);
        assertThatThrownBy(() -> ns.unlink("/d/f")).isInstanceOf(java.io.UncheckedIOException.class);
        assertThatThrownBy(() -> ns.rename("/d", "/moved")).isInstanceOf(java.io.UncheckedIOException.class);
        assertThatThrownBy(() -> ns.update(f, r -> r.toBuilder().mode(0600).build()))
                .isInstanceOf(java.io.UncheckedIOException.class);

        assertThat(ns.list(ns.root())).extracting(Namespace.Entry::name).containsExactly("d");
        assertThat(ns.list(ns.lookup("/d"))).extracting(Namespace.Entry::name).containsExactly("f");
        assertThat(ns.pathOf(f)).isEqualTo("/d/f");
        assertThat(f.record().mode()).isEqualTo(0644);
        assertThat(ns.root().record()).isEqualTo(rootBefore);
        assertThat(ns.lookup("/d").record()).isEqualTo(dirBefore);
        assertThat(ns.inodeCount()).isEqualTo(3);

        full[0] = false;
        ns.rename("/d", "/moved");
        assertThat(ns.pathOf(f)).isEqualTo("/moved/f");
    }

    @Test
    void theRootCannotBeRemovedOrRecreated() {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir());
        Namespace ns = namespace(snapshot);
        assertThatThrownBy(() -> ns.rmdir("/")).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.EBUSY);
        assertThatThrownBy(() -> ns.mkdir("/", 0755, 0, 0)).isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.EEXIST);
    }
}
