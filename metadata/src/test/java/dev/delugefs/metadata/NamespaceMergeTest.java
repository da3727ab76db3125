package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class NamespaceMergeTest {

    static final String A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final long MS = 1L << 16;

    static Record dir(long clock, String writer) {
        return Record.builder(Record.Type.DIR).mode(0755).clock(clock).writer(writer).build();
    }

    static Record file(long clock, String writer, String contentId) {
        return file(clock, writer, contentId, 0644);
    }

    static Record file(long clock, String writer, String contentId, int mode) {
        return Record.builder(Record.Type.FILE).mode(mode).size(1)
                .content(new Record.Content(contentId, 1 << 20, new byte[20])).clock(clock).writer(writer).build();
    }

    static Record link(long clock, String writer, String target) {
        return Record.builder(Record.Type.SYMLINK).mode(0777).size(target.length()).target(target)
                .clock(clock).writer(writer).build();
    }

    static Record gone(long clock, String writer) {
        return Record.tombstone(clock, writer);
    }

    static String id(char c) {
        return String.valueOf(c).repeat(40);
    }

    /** A map from alternating paths and records; the root directory is always there. */
    static NavigableMap<String, Record> map(Object... pathsAndRecords) {
        TreeMap<String, Record> m = new TreeMap<>();
        m.put("/", ROOT);
        for (int i = 0; i < pathsAndRecords.length; i += 2) {
            m.put((String) pathsAndRecords[i], (Record) pathsAndRecords[i + 1]);
        }
        return m;
    }

    private static final Record ROOT = dir(MS, A);

    /** Merges both ways, checks they agree, and returns the result. */
    static NamespaceMerge.Result both(NavigableMap<String, Record> base, NavigableMap<String, Record> ours,
                                      NavigableMap<String, Record> theirs) {
        NamespaceMerge.Result one = NamespaceMerge.merge(base, ours, theirs);
        NamespaceMerge.Result other = NamespaceMerge.merge(base, theirs, ours);
        assertThat(other.records()).isEqualTo(one.records());
        assertThat(other.copies()).isEqualTo(one.copies());
        assertTreeRule(one.records());
        // merging the result with either side, against that side, changes nothing more
        assertThat(NamespaceMerge.merge(ours, one.records(), ours).records()).isEqualTo(one.records());
        assertThat(NamespaceMerge.merge(one.records(), one.records(), one.records()).records()).isEqualTo(one.records());
        return one;
    }

    static void assertTreeRule(NavigableMap<String, Record> records) {
        for (String path : records.keySet()) {
            for (int slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
                Record up = records.get(path.substring(0, slash));
                assertThat(up == null || up.type() == Record.Type.DIR)
                        .as("%s is below the non-directory %s", path, up).isTrue();
            }
            Record r = records.get(path);
            if (!r.isDeleted() && !path.equals("/")) {
                String parent = path.substring(0, Math.max(1, path.lastIndexOf('/')));
                assertThat(records.get(parent)).as("parent of live %s", path).isNotNull()
                        .extracting(Record::type).isEqualTo(Record.Type.DIR);
            }
        }
    }

    record Case(String name, NavigableMap<String, Record> base, NavigableMap<String, Record> ours,
                NavigableMap<String, Record> theirs, NavigableMap<String, Record> expected) {
    }

    static final Record F1 = file(10 * MS, A, id('1'));
    static final Record F2a = file(20 * MS, A, id('2'));
    static final Record F3b = file(30 * MS, B, id('3'));
    static final Record F1chmodB = file(30 * MS, B, id('1'), 0600);
    static final Record F1chmodA = file(20 * MS, A, id('1'), 0640);
    static final Record D = dir(5 * MS, A);
    static final Record Db = dir(25 * MS, B);

    static Stream<Case> cases() {
        String copyA = NamespaceMerge.copyPath("/f", F2a);
        return Stream.of(
                new Case("unchanged", map("/f", F1), map("/f", F1), map("/f", F1), map("/f", F1)),
                new Case("one side edits", map("/f", F1), map("/f", F1), map("/f", F3b), map("/f", F3b)),
                new Case("one side creates", map(), map("/n", F1), map(), map("/n", F1)),
                new Case("one side deletes", map("/f", F1), map("/f", gone(40 * MS, A)), map("/f", F1),
                        map("/f", gone(40 * MS, A))),
                new Case("same edit on both", map("/f", F1), map("/f", F3b), map("/f", F3b), map("/f", F3b)),
                new Case("both edit content: newer wins, older kept", map("/f", F1), map("/f", F2a), map("/f", F3b),
                        map("/f", F3b, copyA, F2a)),
                new Case("both edit metadata only: newer wins, no copy", map("/f", F1), map("/f", F1chmodA),
                        map("/f", F1chmodB), map("/f", F1chmodB)),
                new Case("both create the same name", map(), map("/n", F2a), map("/n", F3b),
                        map("/n", F3b, NamespaceMerge.copyPath("/n", F2a), F2a)),
                new Case("newer delete beats content edit, edit kept", map("/f", F1), map("/f", F2a),
                        map("/f", gone(30 * MS, B)), map("/f", gone(30 * MS, B), copyA, F2a)),
                new Case("newer delete beats chmod, nothing kept", map("/f", F1), map("/f", F1chmodA),
                        map("/f", gone(30 * MS, B)), map("/f", gone(30 * MS, B))),
                new Case("newer edit beats delete: resurrected", map("/f", F1), map("/f", gone(20 * MS, A)),
                        map("/f", F3b), map("/f", F3b)),
                new Case("two deletes: newer tombstone", map("/f", F1), map("/f", gone(20 * MS, A)),
                        map("/f", gone(30 * MS, B)), map("/f", gone(30 * MS, B))),
                new Case("rename vs older edit: edit kept as copy", map("/f", F1),
                        map("/f", gone(30 * MS, B), "/g", file(30 * MS + 1, B, id('1'))), map("/f", F2a),
                        map("/f", gone(30 * MS, B), "/g", file(30 * MS + 1, B, id('1')), copyA, F2a)),
                new Case("rename vs newer edit: edit back at the old path", map("/f", F1),
                        map("/f", gone(20 * MS, A), "/g", file(20 * MS + 1, A, id('1'))), map("/f", F3b),
                        map("/f", F3b, "/g", file(20 * MS + 1, A, id('1')))),
                new Case("deleted directory vs new child: directory resurrected", map("/d", D),
                        map("/d", gone(40 * MS, A)), map("/d", D, "/d/x", F3b), map("/d", D, "/d/x", F3b)),
                new Case("deleted tree vs edit deep inside", map("/d", D, "/d/e", D, "/d/e/x", F1),
                        map("/d", gone(40 * MS, A)), map("/d", D, "/d/e", D, "/d/e/x", F3b),
                        map("/d", D, "/d/e", D, "/d/e/x", F3b)),
                new Case("deleted tree, untouched children stay deleted", map("/d", D, "/d/x", F1),
                        map("/d", gone(40 * MS, A)), map("/d", Db, "/d/x", F1), map("/d", gone(40 * MS, A))),
                new Case("newer chmod of a deleted directory keeps it, children stay deleted",
                        map("/d", D, "/d/x", F1), map("/d", gone(20 * MS, A)), map("/d", Db, "/d/x", F1),
                        map("/d", Db)),
                new Case("file vs directory: directory stays, file moved", map(), map("/p", F3b),
                        map("/p", D, "/p/x", F1),
                        map("/p", D, "/p/x", F1, NamespaceMerge.copyPath("/p", F3b), F3b)),
                new Case("directory replaced by a file vs a new child", map("/p", D), map("/p", F3b),
                        map("/p", D, "/p/x", F1),
                        map("/p", D, "/p/x", F1, NamespaceMerge.copyPath("/p", F3b), F3b)),
                new Case("symlinks with different targets", map(), map("/l", link(20 * MS, A, "x")),
                        map("/l", link(30 * MS, B, "y")),
                        map("/l", link(30 * MS, B, "y"), NamespaceMerge.copyPath("/l", link(20 * MS, A, "x")),
                                link(20 * MS, A, "x"))),
                new Case("a deleted conflict copy stays deleted", map(copyA, F2a),
                        map(copyA, gone(50 * MS, A)), map(copyA, F2a, "/f", F3b), map(copyA, gone(50 * MS, A),
                                "/f", F3b)),
                new Case("a remade conflict copy loses to its newer delete", map("/f", F1),
                        map("/f", F2a, copyA, gone(50 * MS, A)), map("/f", F3b),
                        map("/f", F3b, copyA, gone(50 * MS, A))),
                new Case("tombstones below a winning file are dropped", map("/p", D, "/p/x", F1),
                        map("/p", D, "/p/x", gone(20 * MS, A)), map("/p", file(30 * MS, B, id('3'))),
                        map("/p", file(30 * MS, B, id('3')))));
    }

    @Test
    void everyRule() {
        List<String> failures = new ArrayList<>();
        cases().forEach(c -> {
            try {
                NamespaceMerge.Result r = both(c.base(), c.ours(), c.theirs());
                assertThat(r.records()).as(c.name()).isEqualTo(c.expected());
            } catch (AssertionError e) {
                failures.add(c.name() + ": " + e.getMessage());
            }
        });
        assertThat(failures).isEmpty();
    }

    @Test
    void copiesAreListed() {
        NamespaceMerge.Result r = both(map("/f", F1), map("/f", F2a), map("/f", F3b));
        assertThat(r.copies()).containsExactly(new NamespaceMerge.Copy("/f", NamespaceMerge.copyPath("/f", F2a), F2a));
        assertThat(NamespaceMerge.copyPath("/f", F2a)).isEqualTo("/f.conflict-" + A + "-20");
        assertThat(NamespaceMerge.copyPath("/d/f", file(20 * MS + 3, A, id('2')))).isEqualTo("/d/f.conflict-" + A + "-20-3");
    }

    @Test
    void longNamesAreShortenedToFit() {
        String name = "n".repeat(Namespace.NAME_MAX);
        String copy = NamespaceMerge.copyPath("/d/" + name, F2a);
        PathCodec.checkPath(copy);
        assertThat(copy.substring(3)).hasSize(Namespace.NAME_MAX).endsWith(".conflict-" + A + "-20");
        assertThat(NamespaceMerge.isOwnCopy(copy, F2a)).isTrue();
        assertThat(NamespaceMerge.isOwnCopy(copy, F3b)).isFalse();
    }

    @Test
    void idempotentWithItselfAndAncestors() {
        cases().forEach(c -> {
            for (NavigableMap<String, Record> m : List.of(c.base(), c.ours(), c.theirs(), c.expected())) {
                assertThat(NamespaceMerge.merge(c.base(), m, m).records()).as(c.name()).isEqualTo(m);
                assertThat(NamespaceMerge.merge(c.base(), m, c.base()).records()).as(c.name()).isEqualTo(m);
                assertThat(NamespaceMerge.merge(c.base(), c.base(), m).records()).as(c.name()).isEqualTo(m);
            }
        });
    }

    @Test
    void tieOnClockAndWriterIsStillDeterministic() {
        Record x = file(20 * MS, A, id('4'));
        Record y = file(20 * MS, A, id('5'));
        NamespaceMerge.Result r = both(map(), map("/f", x), map("/f", y));
        assertThat(r.records()).containsKey("/f");
        assertThat(r.copies()).hasSize(1);
    }

    @Test
    void newerOrdersByClockThenWriter() {
        assertThat(NamespaceMerge.newer(file(10, A, id('1')), file(10, B, id('1')))).extracting(Record::writer)
                .isEqualTo(B);
        assertThat(NamespaceMerge.newer(file(11, A, id('1')), file(10, B, id('1')))).extracting(Record::writer)
                .isEqualTo(A);
        assertThat(NamespaceMerge.newer(null, F1)).isSameAs(F1);
    }
}
