package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static dev.delugefs.metadata.NamespaceMergeTest.A;
import static dev.delugefs.metadata.NamespaceMergeTest.dir;
import static dev.delugefs.metadata.NamespaceMergeTest.file;
import static dev.delugefs.metadata.NamespaceMergeTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NamespaceRemoteTest {

    private static final String NODE = "0123456789abcdef0123456789abcdef";
    private final List<List<Change>> journaled = new ArrayList<>();
    private final Namespace ns;

    NamespaceRemoteTest() {
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", dir(1, A));
        snapshot.put("/a", dir(2, A));
        snapshot.put("/a/f", file(3, A, id('1')));
        snapshot.put("/a/sub", dir(4, A));
        snapshot.put("/a/sub/deep", file(5, A, id('2')));
        snapshot.put("/g", file(6, A, id('3')));
        ns = new Namespace(snapshot, journaled::add, new Hlc(), NODE);
    }

    private static Change change(String path, Record record) {
        return new Change(path, record);
    }

    @Test
    void createsReplacesAndRemovesWithoutJournaling() throws FsException {
        Inode f = ns.lookup("/a/f");
        Inode g = ns.lookup("/g");
        Record edited = file(10, A, id('4'));
        ns.applyRemote(List.of(change("/a/f", edited), change("/a/n", file(11, A, id('5'))),
                change("/g", Record.tombstone(12, A)), change("/h", dir(13, A)), change("/h/x", file(14, A, id('6')))));

        assertThat(journaled).isEmpty();
        assertThat(ns.lookup("/a/f")).isSameAs(f);
        assertThat(f.record()).isEqualTo(edited);
        assertThat(f.isLinked()).isTrue();
        assertThat(ns.lookup("/a/n").record().content().id()).isEqualTo(id('5'));
        assertThat(ns.lookup("/h/x").type()).isEqualTo(Record.Type.FILE);
        assertThat(ns.lookup("/h").nlink()).isEqualTo(2);
        assertThat(g.isLinked()).isFalse();
        assertThatThrownBy(() -> ns.lookup("/g")).isInstanceOf(FsException.class);
        assertThat(ns.inodeCount()).isEqualTo(8);
    }

    @Test
    void aRemovedDirectoryUnlinksEverythingBelowIt() throws FsException {
        Inode deep = ns.lookup("/a/sub/deep");
        Inode f = ns.lookup("/a/f");
        ns.applyRemote(List.of(change("/a", Record.tombstone(20, A))));
        assertThat(deep.isLinked()).isFalse();
        assertThat(f.isLinked()).isFalse();
        assertThat(ns.pathOf(deep)).isNull();
        assertThat(ns.list(ns.root())).extracting(Namespace.Entry::name).containsExactly("g");
        assertThat(ns.inodeCount()).isEqualTo(2);
        assertThat(ns.root().nlink()).isEqualTo(2);
    }

    @Test
    void aChangeOfKindReplacesTheInode() throws FsException {
        Inode g = ns.lookup("/g");
        Inode sub = ns.lookup("/a/sub");
        ns.applyRemote(List.of(change("/a/sub", file(30, A, id('7'))), change("/g", dir(31, A)),
                change("/g/inside", file(32, A, id('8')))));
        assertThat(g.isLinked()).isFalse();
        assertThat(sub.isLinked()).isFalse();
        assertThat(ns.lookup("/a/sub").type()).isEqualTo(Record.Type.FILE);
        assertThat(ns.lookup("/g").isDirectory()).isTrue();
        assertThat(ns.lookup("/g/inside").type()).isEqualTo(Record.Type.FILE);
        assertThat(ns.lookup("/a").nlink()).isEqualTo(2);
    }

    @Test
    void changesUnderAMissingParentAreSkipped() throws FsException {
        ns.applyRemote(List.of(change("/nowhere/x", file(40, A, id('9'))), change("/a/f", file(41, A, id('a')))));
        assertThatThrownBy(() -> ns.lookup("/nowhere/x")).isInstanceOf(FsException.class);
        assertThat(ns.lookup("/a/f").record().clock()).isEqualTo(41);
    }

    @Test
    void laterLocalChangesOrderAfterMergedClocks() throws FsException {
        long ahead = (System.currentTimeMillis() + 3_600_000L) << 16;
        ns.applyRemote(List.of(change("/a/f", file(ahead, A, id('b')))));
        ns.mkdir("/mine", 0755, 0, 0);
        assertThat(journaled.get(0).get(0).record().clock()).isGreaterThan(ahead);
        ns.applyRemote(List.of(change("/", dir(ahead + 100, A))));
        assertThat(ns.root().record().clock()).isEqualTo(ahead + 100);
    }
}
