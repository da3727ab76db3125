package dev.delugefs.metadata;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The three-way merge of two namespaces (raw path to record, tombstones included), pure and deterministic:
 * every node that merges the same two heads gets the same map, whichever side it calls "ours".
 *
 * <p>The rules, in the order they apply:
 * <ol>
 * <li><b>Whole records.</b> A path's value is its record, or absent; records are never combined field by field.</li>
 * <li><b>One side changed.</b> A path equal on both sides keeps that value; a path where only one side differs
 *     from the base takes that side's value (absent included: a side that dropped a path with its parent's
 *     subtree removed it).</li>
 * <li><b>Both changed.</b> A record beats absence (absence is a side effect of an ancestor's change, which
 *     the tree rules below settle). Between two records, a directory beats a file or symlink whatever the
 *     clocks (the file-vs-directory rule); otherwise the higher (clock, writer) wins, ties broken by the
 *     canonical JSON so the order is total.</li>
 * <li><b>Conflict copies.</b> Nothing written is lost: the loser is kept as a record at
 *     {@code NAME.conflict-<writer>-<millis>} (plus {@code -<counter>} when its clock's HLC counter is not
 *     zero, so that two records never claim one name) in the same directory, clock kept, when
 *     <ul><li>both are live files or symlinks with different payloads (content id, symlink target or type);</li>
 *     <li>the winner is a tombstone and the loser's payload differs from the base's (a metadata-only edit
 *         such as a chmod dies with the file);</li>
 *     <li>the loser is a file or symlink that lost to a directory.</li></ul>
 *     A record already at its own conflict name is never copied again: that name was made for it, and a
 *     later edit or delete of the copy is the user's decision. A copy competes with whatever already holds
 *     its name by (clock, writer), so a deleted copy is not brought back by a merge that makes it again.</li>
 * <li><b>Rename vs edit</b> needs no rule of its own: a rename is a tombstone at the old path plus a record at
 *     the new one, so an edit of the old path elsewhere either beats the tombstone (the file is back at its
 *     old path, and the renamed copy stays) or loses to it and becomes a conflict copy.</li>
 * <li><b>Tree rules.</b> Every live record's ancestors become directories: an ancestor that is a tombstone
 *     or missing is resurrected with the newest directory record any input has for it (a directory deleted
 *     on one side while the other created or edited something inside it comes back); an ancestor that is a
 *     live file or symlink goes to a conflict copy first (the directory stays). Only when no input ever had
 *     a directory there is one made up, from the first live record below it. Tombstones below a non-directory
 *     are dropped, so no path is left below a file, symlink or tombstone.</li>
 * </ol>
 * Merging a map with itself, or with an ancestor of it, returns it unchanged.
 */
final class NamespaceMerge {

    /** The conflict copy of {@code record}, which lost at {@code path} and was kept at {@code copyPath}. */
    record Copy(String path, String copyPath, Record record) {
    }

    /** The merged map and the conflict copies made, sorted by copy path. */
    record Result(NavigableMap<String, Record> records, List<Copy> copies) {
    }

    private static final String CONFLICT = ".conflict-";
    private static final Comparator<Record> ORDER = Comparator.comparingLong(Record::clock)
            .thenComparing(Record::writer)
            .thenComparing((a, b) -> Arrays.compare(RecordJson.toJson(a), RecordJson.toJson(b)));

    private final NavigableMap<String, Record> base;
    private final NavigableMap<String, Record> ours;
    private final NavigableMap<String, Record> theirs;
    private final TreeMap<String, Record> merged = new TreeMap<>();
    private final TreeMap<String, Copy> copies = new TreeMap<>();

    private NamespaceMerge(NavigableMap<String, Record> base, NavigableMap<String, Record> ours,
                           NavigableMap<String, Record> theirs) {
        this.base = base;
        this.ours = ours;
        this.theirs = theirs;
    }

    static Result merge(NavigableMap<String, Record> base, NavigableMap<String, Record> ours,
                        NavigableMap<String, Record> theirs) {
        return new NamespaceMerge(base, ours, theirs).run();
    }

    /** The higher of two records by (clock, writer, canonical JSON); null counts as lowest. */
    static Record newer(Record a, Record b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return ORDER.compare(a, b) >= 0 ? a : b;
    }

    /** Where the losing {@code record} of {@code path} is kept. */
    static String copyPath(String path, Record record) {
        int slash = path.lastIndexOf('/');
        String name = path.substring(slash + 1);
        String suffix = copySuffix(record);
        int keep = Math.min(name.length(), Namespace.NAME_MAX - suffix.length());
        return path.substring(0, slash + 1) + name.substring(0, keep) + suffix;
    }

    private static String copySuffix(Record record) {
        long counter = record.clock() & 0xFFFF;
        return CONFLICT + record.writer() + "-" + Hlc.wallMillis(record.clock()) + (counter == 0 ? "" : "-" + counter);
    }

    /** True for a record that sits at the name a conflict would give it. */
    static boolean isOwnCopy(String path, Record record) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        String suffix = copySuffix(record);
        return name.length() > suffix.length() && name.endsWith(suffix);
    }

    private Result run() {
        TreeSet<String> paths = new TreeSet<>(base.keySet());
        paths.addAll(ours.keySet());
        paths.addAll(theirs.keySet());
        for (String path : paths) {
            Record r = pick(path, base.get(path), ours.get(path), theirs.get(path));
            if (r != null) {
                merged.put(path, r);
            }
        }
        // copies made per path go in before the tree rules, which may need to resurrect their parents
        for (Copy c : new ArrayList<>(copies.values())) {
            place(c);
        }
        liveAncestorsAreDirectories();
        dropBelowNonDirectories();
        return new Result(Collections.unmodifiableNavigableMap(merged), List.copyOf(copies.values()));
    }

    private Record pick(String path, Record b, Record o, Record t) {
        if (Objects.equals(o, t)) {
            return o;
        }
        if (Objects.equals(o, b)) {
            return t;
        }
        if (Objects.equals(t, b)) {
            return o;
        }
        if (o == null || t == null) {
            return o == null ? t : o;
        }
        boolean oDir = o.type() == Record.Type.DIR;
        boolean tDir = t.type() == Record.Type.DIR;
        if (oDir != tDir && isLiveLeaf(oDir ? t : o)) {
            Record leaf = oDir ? t : o;
            keep(path, leaf);
            return oDir ? o : t;
        }
        Record winner = newer(o, t);
        Record loser = winner == o ? t : o;
        if (isLiveLeaf(loser)) {
            boolean lost = winner.isDeleted() ? !samePayload(loser, b) : isLiveLeaf(winner) && !samePayload(loser, winner);
            if (lost) {
                keep(path, loser);
            }
        }
        return winner;
    }

    private static boolean isLiveLeaf(Record r) {
        return r != null && r.type() != Record.Type.DIR && !r.isDeleted();
    }

    /** What a conflict would lose: for a file its content, for a symlink its target. */
    private static boolean samePayload(Record a, Record b) {
        return b != null && a.type() == b.type() && Objects.equals(contentId(a), contentId(b))
                && Objects.equals(a.target(), b.target());
    }

    private static String contentId(Record r) {
        return r.content() == null ? null : r.content().id();
    }

    private void keep(String path, Record loser) {
        if (isOwnCopy(path, loser)) {
            return;
        }
        String copyPath = copyPath(path, loser);
        copies.put(copyPath, new Copy(path, copyPath, loser));
    }

    /** A copy competes with what holds its name; a copy that loses (a newer delete of it) was not made. */
    private void place(Copy c) {
        Record existing = merged.get(c.copyPath());
        if (existing == null || newer(existing, c.record()) == c.record()) {
            merged.put(c.copyPath(), c.record());
        } else if (!existing.equals(c.record())) {
            copies.remove(c.copyPath());
        }
    }

    private void liveAncestorsAreDirectories() {
        // a resurrected or copied ancestor adds keys; walk a snapshot, re-reading each path's current value
        for (String path : new ArrayList<>(merged.keySet())) {
            Record r = merged.get(path);
            if (r == null || r.isDeleted() || path.equals("/")) {
                continue;
            }
            int slash = 0;
            while (slash >= 0) {
                String ancestor = slash == 0 ? "/" : path.substring(0, slash);
                ensureDirectory(ancestor, r);
                slash = path.indexOf('/', slash + 1);
            }
        }
    }

    private void ensureDirectory(String path, Record liveBelow) {
        Record current = merged.get(path);
        if (current != null && current.type() == Record.Type.DIR) {
            return;
        }
        Record dir = newestDirectory(path);
        if (current == null && dir == null) {
            return;
        }
        if (isLiveLeaf(current) && !path.equals("/")) {
            keep(path, current);
            Copy made = copies.get(copyPath(path, current));
            if (made != null && made.record().equals(current)) {
                place(made);
            }
        }
        if (dir == null) {
            dir = Record.builder(Record.Type.DIR).mode(0755).uid(liveBelow.uid()).gid(liveBelow.gid())
                    .mtime(liveBelow.mtime()).ctime(liveBelow.ctime()).clock(liveBelow.clock())
                    .writer(liveBelow.writer()).build();
        }
        merged.put(path, dir);
    }

    private Record newestDirectory(String path) {
        Record best = null;
        for (Map<String, Record> side : List.of(base, ours, theirs)) {
            Record r = side.get(path);
            if (r != null && r.type() == Record.Type.DIR) {
                best = newer(best, r);
            }
        }
        return best;
    }

    private void dropBelowNonDirectories() {
        List<String> doomed = new ArrayList<>();
        for (String path : merged.keySet()) {
            for (int slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
                Record ancestor = merged.get(path.substring(0, slash));
                if (ancestor != null && ancestor.type() != Record.Type.DIR) {
                    doomed.add(path);
                    break;
                }
            }
        }
        doomed.forEach(merged::remove);
    }
}
