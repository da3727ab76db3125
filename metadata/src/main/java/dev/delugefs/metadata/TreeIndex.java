package dev.delugefs.metadata;

import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.TreeFormatter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The Git tree of the next commit, as a tree of directories, owned by the committer thread.
 *
 * <p>Every blob and tree remembers its object id; a change clears the ids on its way from the root,
 * so a commit serializes only the records that changed and re-hashes only the trees above them.
 * Committing 100 changes into 10,000 records costs as much as the 100 changes.
 *
 * <p>Entry names are ISO-8859-1 strings of the tree's bytes, keyed as Git sorts them: a subtree's
 * key is its name plus '/', so the natural order of the keys is the order of a Git tree.
 */
final class TreeIndex {

    /** A record waiting to become a blob, or a blob already in the repo (record null). */
    private static final class Blob {
        final Record record;
        ObjectId id;

        Blob(Record record, ObjectId id) {
            this.record = record;
            this.id = id;
        }
    }

    /** A Git tree; {@code id} is null while something below changed since it was last written. */
    static final class Dir {
        private final TreeMap<String, Object> entries = new TreeMap<>();
        private ObjectId id;

        /** For loading: the id the tree already has in the repo. */
        void setId(ObjectId treeId) {
            id = treeId.copy();
        }

        /** For loading: an existing blob in this tree. */
        void putBlob(String name, ObjectId blob) {
            entries.put(name, new Blob(null, blob.copy()));
            id = null;
        }

        ObjectId id() {
            return id;
        }

        /** The subtree of that name, or null. */
        Dir existingSubdir(String name) {
            return entries.get(name + "/") instanceof Dir sub ? sub : null;
        }

        /** For loading: becomes a deep copy of {@code other}, which stays the owner's to change. */
        void copyFrom(Dir other) {
            entries.clear();
            for (Map.Entry<String, Object> e : other.entries.entrySet()) {
                if (e.getValue() instanceof Blob blob) {
                    entries.put(e.getKey(), new Blob(blob.record, blob.id));
                } else {
                    Dir sub = new Dir();
                    sub.copyFrom((Dir) e.getValue());
                    entries.put(e.getKey(), sub);
                }
            }
            id = other.id;
        }

        /** For loading: the subtree of that name, created empty if absent. */
        Dir subdir(String name) {
            id = null;
            return (Dir) entries.computeIfAbsent(name + "/", k -> new Dir());
        }
    }

    private final Dir root = new Dir();

    Dir root() {
        return root;
    }

    /** A deep copy, for a merge that must not touch the committer's index until it succeeds. */
    TreeIndex copy() {
        TreeIndex copy = new TreeIndex();
        copy.root.copyFrom(root);
        return copy;
    }

    /** The blobs outside {@code ns/} (volume.json, nodes/...) by tree path; they never wait as records. */
    NavigableMap<String, ObjectId> files() {
        TreeMap<String, ObjectId> files = new TreeMap<>();
        collectFiles(root, "", files);
        return files;
    }

    private static void collectFiles(Dir dir, String prefix, TreeMap<String, ObjectId> into) {
        for (Map.Entry<String, Object> e : dir.entries.entrySet()) {
            String key = e.getKey();
            if (e.getValue() instanceof Blob blob) {
                into.put(prefix + key, blob.id);
            } else if (!(prefix.isEmpty() && key.equals(TreePaths.NS + "/"))) {
                collectFiles((Dir) e.getValue(), prefix + key, into);
            }
        }
    }

    /** Puts a blob at a full tree path such as {@code volume.json} or {@code nodes/x.json}. */
    void putBlob(String treePath, ObjectId blob) {
        int slash = treePath.lastIndexOf('/');
        Dir parent = slash < 0 ? root : dirAt(treePath.substring(0, slash));
        parent.putBlob(treePath.substring(slash + 1), blob);
    }

    /**
     * The rule of {@link NamespaceState} in tree terms: a directory's record goes into its own tree as
     * {@code %dir} and replaces a blob of the same name; any other record is a blob that replaces the
     * subtree of the same name.
     */
    void apply(Change change) {
        String base = TreePaths.base(change.path());
        int slash = base.lastIndexOf('/');
        Dir parent = slash < 0 ? root : dirAt(base.substring(0, slash));
        String name = base.substring(slash + 1);
        parent.id = null;
        if (change.record().type() == Record.Type.DIR) {
            parent.entries.remove(name);
            Dir dir = (Dir) parent.entries.computeIfAbsent(name + "/", k -> new Dir());
            dir.entries.put(TreePaths.DIR_ENTRY, new Blob(change.record(), null));
            dir.id = null;
        } else {
            parent.entries.remove(name + "/");
            parent.entries.put(name, new Blob(change.record(), null));
        }
    }

    /**
     * Takes out the record a raw path had ({@code old} says which form it took), and every tree left
     * empty by that, since Git trees hold no empty subtrees. A path that is not there is no error: a
     * change to an ancestor may have removed it already.
     */
    void remove(String rawPath, Record old) {
        String treePath = TreePaths.blobPath(rawPath, old);
        removeFile(treePath);
    }

    /** Takes out the blob at a full tree path and the trees it leaves empty. */
    void removeFile(String treePath) {
        List<Dir> trail = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Dir dir = root;
        int start = 0;
        for (int slash = treePath.indexOf('/'); slash >= 0; slash = treePath.indexOf('/', start)) {
            trail.add(dir);
            String name = treePath.substring(start, slash) + "/";
            names.add(name);
            if (!(dir.entries.get(name) instanceof Dir sub)) {
                return;
            }
            dir = sub;
            start = slash + 1;
        }
        if (!(dir.entries.remove(treePath.substring(start)) instanceof Blob)) {
            return;
        }
        dir.id = null;
        for (int i = trail.size() - 1; i >= 0; i--) {
            Dir parent = trail.get(i);
            parent.id = null;
            if (dir.entries.isEmpty()) {
                parent.entries.remove(names.get(i));
            }
            dir = parent;
        }
    }

    /** Walks down from the root, creating missing trees and clearing the ids of every tree it passes. */
    private Dir dirAt(String treePath) {
        Dir dir = root;
        root.id = null;
        int start = 0;
        while (start <= treePath.length()) {
            int slash = treePath.indexOf('/', start);
            int end = slash < 0 ? treePath.length() : slash;
            dir = (Dir) dir.entries.computeIfAbsent(treePath.substring(start, end) + "/", k -> new Dir());
            dir.id = null;
            start = end + 1;
        }
        return dir;
    }

    /** Inserts the blobs and trees that changed; returns the root tree id. */
    ObjectId write(ObjectInserter inserter) throws IOException {
        return write(root, inserter);
    }

    private static ObjectId write(Dir dir, ObjectInserter inserter) throws IOException {
        if (dir.id != null) {
            return dir.id;
        }
        TreeFormatter tree = new TreeFormatter();
        for (Map.Entry<String, Object> e : dir.entries.entrySet()) {
            if (e.getValue() instanceof Blob blob) {
                if (dir.entries.containsKey(e.getKey() + "/")) {
                    // the store's own changes never get here (it refuses paths below files); a main moved
                    // by someone else could, and Git must not get a tree with two entries of one name
                    throw new IllegalStateException("tree entry '" + e.getKey() + "' is both a blob and a tree");
                }
                if (blob.id == null) {
                    blob.id = inserter.insert(Constants.OBJ_BLOB, RecordJson.toJson(blob.record));
                }
                append(tree, e.getKey(), FileMode.REGULAR_FILE, blob.id);
            } else {
                Dir sub = (Dir) e.getValue();
                // never produced by apply(), but Git trees must not hold empty subtrees
                if (!sub.entries.isEmpty()) {
                    String key = e.getKey();
                    append(tree, key.substring(0, key.length() - 1), FileMode.TREE, write(sub, inserter));
                }
            }
        }
        dir.id = inserter.insert(tree);
        return dir.id;
    }

    private static void append(TreeFormatter tree, String name, FileMode mode, ObjectId id) {
        byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
        tree.append(bytes, 0, bytes.length, mode, id);
    }
}
