package dev.delugefs.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeSet;

/** The changes that turn one namespace map into another, as a listener that mirrors the tree needs them. */
final class NamespaceDiff {

    private NamespaceDiff() {
    }

    /**
     * Sorted by path. A path that went away is listed as a tombstone carrying its old clock and writer,
     * unless an ancestor is now a file, symlink or tombstone, whose own change removes it.
     */
    static List<Change> between(NavigableMap<String, Record> before, NavigableMap<String, Record> after) {
        TreeSet<String> paths = new TreeSet<>(before.keySet());
        paths.addAll(after.keySet());
        List<Change> changes = new ArrayList<>();
        for (String path : paths) {
            Record was = before.get(path);
            Record now = after.get(path);
            if (now != null) {
                if (!now.equals(was)) {
                    changes.add(new Change(path, now));
                }
            } else if (!was.isDeleted() && !belowNonDirectory(after, path)) {
                changes.add(new Change(path, Record.tombstone(was.clock(), was.writer())));
            }
        }
        return changes;
    }

    private static boolean belowNonDirectory(NavigableMap<String, Record> records, String path) {
        for (int slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
            Record ancestor = records.get(path.substring(0, slash));
            if (ancestor != null && ancestor.type() != Record.Type.DIR) {
                return true;
            }
        }
        return false;
    }
}
