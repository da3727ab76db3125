package dev.delugefs.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The live namespace: raw path to record, with the replace-a-subtree rule of {@link Change}.
 * Not thread-safe; the store guards it.
 */
final class NamespaceState {

    private final TreeMap<String, Record> records;

    NamespaceState(NavigableMap<String, Record> initial) {
        records = new TreeMap<>(initial);
    }

    /**
     * Validates and applies a call's changes as a unit. A path below a file, symlink or tombstone is
     * refused, because Git cannot hold a blob and a tree under one name. The returned undo reverts
     * everything, for when the journal write that must follow fails.
     */
    Undo apply(List<Change> changes) {
        Undo undo = new Undo();
        try {
            for (Change c : changes) {
                checkAncestors(c.path());
                put(c.path(), c.record(), undo);
            }
        } catch (RuntimeException e) {
            undo.revert();
            throw e;
        }
        return undo;
    }

    /**
     * Applies without validation. Replaying a journal may re-apply changes that HEAD already holds;
     * the result is the same (a path ends with the last change that touched it or an ancestor), but
     * the intermediate states may break the ancestor rule, which is why it is not checked here.
     */
    void replay(Change change) {
        put(change.path(), change.record(), null);
    }

    Record get(String path) {
        return records.get(path);
    }

    /** Replaces everything, for a merge that moved HEAD. */
    void reset(NavigableMap<String, Record> now) {
        records.clear();
        records.putAll(now);
    }

    NavigableMap<String, Record> copy() {
        return Collections.unmodifiableNavigableMap(new TreeMap<>(records));
    }

    int size() {
        return records.size();
    }

    private void checkAncestors(String path) {
        int slash = path.lastIndexOf('/');
        while (slash > 0) {
            String ancestor = path.substring(0, slash);
            Record r = records.get(ancestor);
            if (r != null && r.type() != Record.Type.DIR) {
                throw new IllegalArgumentException("cannot put " + PathCodec.printable(path) + " below "
                        + PathCodec.printable(ancestor) + ", which is a " + r.type().json());
            }
            slash = path.lastIndexOf('/', slash - 1);
        }
    }

    private void put(String path, Record record, Undo undo) {
        if (record.type() != Record.Type.DIR && !path.equals("/") && hasDescendants(path)) {
            SortedMap<String, Record> below = records.subMap(path + "/", TreePaths.subtreeEnd(path));
            if (undo != null) {
                below.forEach(undo::saw);
            }
            below.clear();
        }
        Record previous = records.put(path, record);
        if (undo != null) {
            undo.saw(path, previous);
        }
    }

    /** One lookup instead of a sub-map view: most changes are to files, which have nothing below. */
    private boolean hasDescendants(String path) {
        String first = records.ceilingKey(path + "/");
        return first != null && first.startsWith(path) && first.length() > path.length()
                && first.charAt(path.length()) == '/';
    }

    /** Reverts in reverse order, so a path removed and then put again gets its original value. */
    final class Undo {
        private record Step(String path, Record old) {
        }

        private final List<Step> steps = new ArrayList<>();

        private void saw(String path, Record old) {
            steps.add(new Step(path, old));
        }

        void revert() {
            for (int i = steps.size() - 1; i >= 0; i--) {
                Step step = steps.get(i);
                if (step.old() == null) {
                    records.remove(step.path());
                } else {
                    records.put(step.path(), step.old());
                }
            }
            steps.clear();
        }
    }
}
