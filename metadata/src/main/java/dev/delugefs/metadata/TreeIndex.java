package dev.delugefs.metadata;

import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole Git tree of the next commit as a sorted map of blob paths, owned by the committer thread.
 *
 * <p>Each entry remembers its blob id once written, so a commit only serializes and hashes the
 * records that changed since the last one; the trees are rebuilt from the sorted map every time,
 * which is cheap next to the blobs and leaves no incremental bookkeeping to get wrong.
 */
final class TreeIndex {

    /** A record waiting to become a blob, or a blob already in the repo (record null). */
    private static final class Slot {
        final Record record;
        ObjectId blob;

        Slot(Record record, ObjectId blob) {
            this.record = record;
            this.blob = blob;
        }
    }

    private final TreeMap<String, Slot> entries = new TreeMap<>();

    void putBlob(String treePath, ObjectId blob) {
        entries.put(treePath, new Slot(null, blob.copy()));
    }

    /** The same rule as {@link NamespaceState}, in tree paths: a path's record and subtree share one prefix. */
    void apply(Change change) {
        String base = TreePaths.base(change.path());
        if (change.record().type() == Record.Type.DIR) {
            entries.remove(base);
            entries.put(base + "/" + TreePaths.DIR_ENTRY, new Slot(change.record(), null));
        } else {
            entries.subMap(base + "/", TreePaths.subtreeEnd(base)).clear();
            entries.put(base, new Slot(change.record(), null));
        }
    }

    int size() {
        return entries.size();
    }

    /** Inserts the new blobs and every tree; the inserter skips objects the repo already has. */
    ObjectId write(ObjectInserter inserter) throws IOException {
        DirCache index = DirCache.newInCore();
        DirCacheBuilder builder = index.builder();
        for (Map.Entry<String, Slot> e : entries.entrySet()) {
            Slot slot = e.getValue();
            if (slot.blob == null) {
                slot.blob = inserter.insert(Constants.OBJ_BLOB, RecordJson.toJson(slot.record));
            }
            DirCacheEntry entry = new DirCacheEntry(e.getKey());
            entry.setFileMode(FileMode.REGULAR_FILE);
            entry.setObjectId(slot.blob);
            builder.add(entry);
        }
        builder.finish();
        return index.writeTree(inserter);
    }
}
