package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three replicas edit a shared start and merge each other pairwise in random orders, with a history graph
 * like Git's (criss-cross merges included, merge commits shared when two replicas merge the same heads),
 * until every replica has merged everything.
 */
class NamespaceMergeRandomTest {

    private static final String[] WRITERS = {"1".repeat(32), "2".repeat(32), "3".repeat(32)};
    private static final List<String> DIRS = List.of("/d1", "/d2", "/d1/s");
    private static final List<String> FILES = new ArrayList<>();

    static {
        for (String parent : List.of("", "/d1", "/d2", "/d1/s")) {
            for (String name : List.of("f1", "f2", "f3")) {
                FILES.add(parent + "/" + name);
            }
        }
    }

    /** A commit: the namespace it holds and every commit it contains (itself included). */
    private record Version(int id, NavigableMap<String, Record> records, Set<Integer> ancestors) {
    }

    private final List<Version> versions = new ArrayList<>();
    private int copiesMade;
    private int crissCrosses;
    private final Map<List<Integer>, Version> mergeCommits = new HashMap<>();
    private final VirtualBase<Version, NavigableMap<String, Record>> bases = new VirtualBase<>(
            new VirtualBase.History<>() {
                @Override
                public List<Version> mergeBases(Version a, Version b) {
                    return NamespaceMergeRandomTest.this.mergeBases(a, b);
                }

                @Override
                public NavigableMap<String, Record> read(Version v) {
                    return v.records();
                }
            },
            (b, o, t) -> NamespaceMerge.merge(b, o, t).records());

    @Test
    void replicasConverge() {
        for (int seed = 1; seed <= 40; seed++) {
            versions.clear();
            mergeCommits.clear();
            run(new Random(seed), seed);
        }
        // the runs must reach the interesting rules, or they prove little
        assertThat(copiesMade).isGreaterThan(20);
        assertThat(crissCrosses).isGreaterThan(20);
    }

    private void run(Random random, int seed) {
        AtomicLong wall = new AtomicLong(1_000);
        Hlc[] clocks = new Hlc[WRITERS.length];
        for (int i = 0; i < clocks.length; i++) {
            clocks[i] = new Hlc(wall::get);
        }
        TreeMap<String, Record> start = new TreeMap<>();
        start.put("/", NamespaceMergeTest.dir(clocks[0].now(), WRITERS[0]));
        start.put("/d1", NamespaceMergeTest.dir(clocks[0].now(), WRITERS[0]));
        Version genesis = version(start, List.of());
        Version[] heads = {genesis, genesis, genesis};
        Map<String, Record> lastWritten = new HashMap<>();
        for (int step = 0; step < 250; step++) {
            wall.addAndGet(random.nextInt(3));
            int i = random.nextInt(heads.length);
            if (random.nextInt(10) < 7) {
                List<Change> op = operation(random, heads[i].records(), clocks[i], WRITERS[i]);
                if (op.isEmpty()) {
                    continue;
                }
                NamespaceState state = new NamespaceState(heads[i].records());
                state.apply(op);
                op.forEach(c -> lastWritten.merge(c.path(), c.record(), NamespaceMerge::newer));
                heads[i] = version(state.copy(), List.of(heads[i]));
            } else {
                int j = random.nextInt(heads.length);
                heads[i] = merge(heads[i], heads[j], clocks[i]);
            }
        }
        for (int round = 0; round < 6 && !(heads[0] == heads[1] && heads[1] == heads[2]); round++) {
            for (int i = 0; i < heads.length; i++) {
                for (int j = 0; j < heads.length; j++) {
                    heads[i] = merge(heads[i], heads[j], clocks[i]);
                }
            }
        }
        String context = "seed " + seed;
        assertThat(heads[1].records()).as(context).isEqualTo(heads[0].records());
        assertThat(heads[2].records()).as(context).isEqualTo(heads[0].records());
        NavigableMap<String, Record> end = heads[0].records();
        NamespaceMergeTest.assertTreeRule(end);
        lastWritten.forEach((path, last) -> {
            if (last.type() == Record.Type.FILE) {
                String id = last.content().id();
                boolean kept = end.entrySet().stream().anyMatch(e -> e.getValue().type() == Record.Type.FILE
                        && e.getValue().content().id().equals(id)
                        && (e.getKey().equals(path) || e.getKey().startsWith(path + ".conflict-")));
                assertThat(kept).as("%s: last content of %s (%s) is gone: %s", context, path, last, end).isTrue();
            }
        });
    }

    private Version merge(Version ours, Version theirs, Hlc clock) {
        if (ours.ancestors().contains(theirs.id())) {
            return ours;
        }
        if (theirs.ancestors().contains(ours.id())) {
            theirs.records().values().forEach(r -> clock.observe(r.clock()));
            return theirs;
        }
        List<Integer> key = List.of(Math.min(ours.id(), theirs.id()), Math.max(ours.id(), theirs.id()));
        Version made = mergeCommits.get(key);
        if (made == null) {
            NavigableMap<String, Record> base;
            try {
                base = bases.of(ours, theirs);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            NamespaceMerge.Result one = NamespaceMerge.merge(base, ours.records(), theirs.records());
            NamespaceMerge.Result other = NamespaceMerge.merge(base, theirs.records(), ours.records());
            assertThat(other.records()).isEqualTo(one.records());
            copiesMade += one.copies().size();
            made = version(one.records(), List.of(ours, theirs));
            mergeCommits.put(key, made);
        }
        made.records().values().forEach(r -> clock.observe(r.clock()));
        return made;
    }

    private List<Version> mergeBases(Version a, Version b) {
        Set<Integer> common = new HashSet<>(a.ancestors());
        common.retainAll(b.ancestors());
        List<Version> best = new ArrayList<>();
        for (int id : common) {
            boolean dominated = common.stream().anyMatch(other -> other != id && versions.get(other).ancestors().contains(id));
            if (!dominated) {
                best.add(versions.get(id));
            }
        }
        best.sort((x, y) -> Integer.compare(x.id(), y.id()));
        if (best.size() > 1) {
            crissCrosses++;
        }
        return best;
    }

    private Version version(NavigableMap<String, Record> records, List<Version> parents) {
        Set<Integer> ancestors = new HashSet<>();
        parents.forEach(p -> ancestors.addAll(p.ancestors()));
        ancestors.add(versions.size());
        Version v = new Version(versions.size(), records, ancestors);
        versions.add(v);
        return v;
    }

    /** One POSIX operation as the Namespace would record it, or nothing when the pick does not apply. */
    static List<Change> operation(Random random, NavigableMap<String, Record> m, Hlc clock, String writer) {
        List<Change> changes = new ArrayList<>();
        switch (random.nextInt(6)) {
            case 0, 1 -> {
                String p = pick(random, FILES);
                if (isDir(m, parent(p)) && !isDir(m, p)) {
                    String content = String.format("%040x", random.nextLong() & Long.MAX_VALUE);
                    changes.add(new Change(p, NamespaceMergeTest.file(clock.now(), writer, content)));
                    changes.add(touch(m, parent(p), clock, writer));
                }
            }
            case 2 -> {
                String p = pick(random, FILES);
                if (isLeaf(m, p)) {
                    changes.add(new Change(p, Record.tombstone(clock.now(), writer)));
                    changes.add(touch(m, parent(p), clock, writer));
                }
            }
            case 3 -> {
                String from = pick(random, FILES);
                String to = pick(random, FILES);
                if (isLeaf(m, from) && !from.equals(to) && isDir(m, parent(to)) && !isDir(m, to)) {
                    changes.add(new Change(from, Record.tombstone(clock.now(), writer)));
                    changes.add(new Change(to, m.get(from).toBuilder().clock(clock.now()).writer(writer).build()));
                    changes.add(touch(m, parent(from), clock, writer));
                    if (!parent(to).equals(parent(from))) {
                        changes.add(touch(m, parent(to), clock, writer));
                    }
                }
            }
            case 4 -> {
                String d = pick(random, DIRS);
                if (isDir(m, parent(d)) && !isLive(m, d)) {
                    changes.add(new Change(d, NamespaceMergeTest.dir(clock.now(), writer)));
                    changes.add(touch(m, parent(d), clock, writer));
                }
            }
            default -> {
                String d = pick(random, DIRS);
                boolean empty = m.subMap(d + "/", d + "0").values().stream().allMatch(Record::isDeleted);
                if (isDir(m, d) && empty) {
                    changes.add(new Change(d, Record.tombstone(clock.now(), writer)));
                    changes.add(touch(m, parent(d), clock, writer));
                }
            }
        }
        return changes;
    }

    private static Change touch(NavigableMap<String, Record> m, String dir, Hlc clock, String writer) {
        return new Change(dir, m.get(dir).toBuilder().mtime(clock.now()).clock(clock.now()).writer(writer).build());
    }

    private static String pick(Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }

    private static boolean isLive(NavigableMap<String, Record> m, String path) {
        Record r = m.get(path);
        return r != null && !r.isDeleted();
    }

    private static boolean isDir(NavigableMap<String, Record> m, String path) {
        Record r = m.get(path);
        return r != null && r.type() == Record.Type.DIR;
    }

    private static boolean isLeaf(NavigableMap<String, Record> m, String path) {
        return isLive(m, path) && !isDir(m, path);
    }
}
