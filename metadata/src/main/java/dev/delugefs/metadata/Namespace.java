package dev.delugefs.metadata;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

/**
 * The live namespace: a tree of inodes built from the store's snapshot, with POSIX rules for every change
 * (ENOENT, EEXIST, ENOTEMPTY, ...). Each change is handed to the {@link NamespaceLog} while the tree lock is
 * held, so the journal sees changes in the order they happened. The lock guards only this in-memory tree
 * and the journal append; no file data is read or written under it.
 *
 * <p>Paths are raw: every char is one byte of the name as the kernel sent it (see {@link PathCodec}).
 */
public final class Namespace {
    public static final int NAME_MAX = 255;
    public static final int PATH_MAX = 4096;
    private static final Logger log = LoggerFactory.getLogger(Namespace.class);

    private final NamespaceLog journal;
    private final Hlc hlc;
    private final String nodeId;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong nextIno = new AtomicLong(1);
    private final Inode root;
    private long inodes;

    /** A directory entry as readdir lists it. */
    public record Entry(String name, Inode inode) {
    }

    /** The inode a create found or made, and whether it made it. */
    public record Created(Inode inode, boolean created) {
    }

    public Namespace(NavigableMap<String, Record> snapshot, NamespaceLog journal, Hlc hlc, String nodeId) {
        this.journal = journal;
        this.hlc = hlc;
        this.nodeId = nodeId;
        Record rootRecord = snapshot.get("/");
        if (rootRecord == null || rootRecord.type() != Record.Type.DIR) {
            log.warn("namespace has no root directory record; using an empty root");
            long now = nowNanos();
            rootRecord = Record.builder(Record.Type.DIR).mode(0755).mtime(now).ctime(now)
                    .clock(hlc.now()).writer(nodeId).build();
        }
        root = new Inode(nextIno.getAndIncrement(), null, "", rootRecord);
        inodes = 1;
        load(snapshot);
    }

    private void load(NavigableMap<String, Record> snapshot) {
        for (Map.Entry<String, Record> e : snapshot.entrySet()) {
            String path = e.getKey();
            Record record = e.getValue();
            if (path.equals("/") || record.type() == Record.Type.DELETED) {
                continue;
            }
            int slash = path.lastIndexOf('/');
            Inode parent = find(path.substring(0, Math.max(slash, 1)));
            if (parent == null || !parent.isDirectory()) {
                // a deleted directory's subtree is removed with it, so this only happens to a damaged repo
                log.warn("skipping {}: its parent directory is missing", path);
                continue;
            }
            attach(parent, path.substring(slash + 1), new Inode(nextIno.getAndIncrement(), parent, null, record));
        }
    }

    public Inode root() {
        return root;
    }

    /** How many inodes are linked into the tree, for statfs. */
    public long inodeCount() {
        lock.readLock().lock();
        try {
            return inodes;
        } finally {
            lock.readLock().unlock();
        }
    }

    public Inode lookup(String path) throws FsException {
        lock.readLock().lock();
        try {
            return resolve(path);
        } finally {
            lock.readLock().unlock();
        }
    }

    public List<Entry> list(Inode dir) throws FsException {
        lock.readLock().lock();
        try {
            if (!dir.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, "not a directory: inode " + dir.ino());
            }
            List<Entry> entries = new ArrayList<>(dir.children.size());
            for (Map.Entry<String, Inode> e : dir.children.entrySet()) {
                entries.add(new Entry(e.getKey(), e.getValue()));
            }
            return entries;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Up to {@code limit} entries that follow {@code inode} in its directory, by name: the files a reader
     * going through the directory in order opens next.
     */
    public List<Entry> nextSiblings(Inode inode, int limit) {
        lock.readLock().lock();
        try {
            List<Entry> entries = new ArrayList<>(limit);
            Inode dir = inode.parent;
            if (!inode.isLinked() || dir == null || dir.children == null) {
                return entries;
            }
            for (Map.Entry<String, Inode> e : dir.children.tailMap(inode.name, false).entrySet()) {
                if (entries.size() >= limit) {
                    break;
                }
                entries.add(new Entry(e.getKey(), e.getValue()));
            }
            return entries;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The inode's current path, or null once it is unlinked. */
    public String pathOf(Inode inode) {
        lock.readLock().lock();
        try {
            return inode.isLinked() ? path(inode) : null;
        } finally {
            lock.readLock().unlock();
        }
    }

    public Inode mkdir(String path, int mode, int uid, int gid) throws FsException {
        lock.writeLock().lock();
        try {
            Inode parent = parentOf(path);
            String name = checkedName(path);
            if (parent.children.containsKey(name)) {
                throw new FsException(Errno.EEXIST, path);
            }
            long now = nowNanos();
            return addEntry(parent, name, path, now, Record.builder(Record.Type.DIR).mode(mode & 07777).uid(uid)
                    .gid(gid).mtime(now).ctime(now));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Creates an empty regular file, or returns the existing one (EEXIST when {@code exclusive}, EISDIR when
     * it is a directory).
     */
    public Created createFile(String path, int mode, int uid, int gid, boolean exclusive) throws FsException {
        lock.writeLock().lock();
        try {
            Inode parent = parentOf(path);
            String name = checkedName(path);
            Inode existing = parent.children.get(name);
            if (existing != null) {
                if (exclusive) {
                    throw new FsException(Errno.EEXIST, path);
                }
                if (existing.isDirectory()) {
                    throw new FsException(Errno.EISDIR, path);
                }
                return new Created(existing, false);
            }
            long now = nowNanos();
            return new Created(addEntry(parent, name, path, now, Record.builder(Record.Type.FILE).size(0)
                    .mode(mode & 07777).uid(uid).gid(gid).mtime(now).ctime(now)), true);
        } finally {
            lock.writeLock().unlock();
        }
    }

    public Inode symlink(String target, String path, int uid, int gid) throws FsException {
        if (target.isEmpty() || target.length() >= PATH_MAX) {
            throw new FsException(target.isEmpty() ? Errno.ENOENT : Errno.ENAMETOOLONG, "symlink target");
        }
        lock.writeLock().lock();
        try {
            Inode parent = parentOf(path);
            String name = checkedName(path);
            if (parent.children.containsKey(name)) {
                throw new FsException(Errno.EEXIST, path);
            }
            long now = nowNanos();
            return addEntry(parent, name, path, now, Record.builder(Record.Type.SYMLINK).size(target.length())
                    .mode(0777).uid(uid).gid(gid).mtime(now).ctime(now).target(target));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes a non-directory; its inode stays usable by open handles but is no longer linked. */
    public Inode unlink(String path) throws FsException {
        lock.writeLock().lock();
        try {
            Inode parent = parentOf(path);
            String name = checkedName(path);
            Inode victim = parent.children.get(name);
            if (victim == null) {
                throw new FsException(Errno.ENOENT, path);
            }
            if (victim.isDirectory()) {
                throw new FsException(Errno.EISDIR, path);
            }
            removeEntry(parent, victim, path);
            return victim;
        } finally {
            lock.writeLock().unlock();
        }
    }

    public void rmdir(String path) throws FsException {
        lock.writeLock().lock();
        try {
            if (split(path).isEmpty()) {
                throw new FsException(Errno.EBUSY, "cannot remove the root directory");
            }
            Inode parent = parentOf(path);
            String name = checkedName(path);
            Inode victim = parent.children.get(name);
            if (victim == null) {
                throw new FsException(Errno.ENOENT, path);
            }
            if (!victim.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path);
            }
            if (!victim.children.isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, path);
            }
            removeEntry(parent, victim, path);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * rename(2): replaces an existing target of the same kind (a directory only when empty), refuses to move
     * a directory into itself. A moved directory's whole subtree is written again under its new path.
     */
    public void rename(String from, String to) throws FsException {
        lock.writeLock().lock();
        try {
            Inode fromParent = parentOf(from);
            String fromName = checkedName(from);
            Inode source = fromParent.children.get(fromName);
            if (source == null) {
                throw new FsException(Errno.ENOENT, from);
            }
            Inode toParent = parentOf(to);
            String toName = checkedName(to);
            if (source.isDirectory()) {
                for (Inode up = toParent; up != null; up = up.parent) {
                    if (up == source) {
                        throw new FsException(Errno.EINVAL, "cannot move " + from + " into itself");
                    }
                }
            }
            Inode target = toParent.children.get(toName);
            if (target == source) {
                return;
            }
            if (target != null) {
                if (source.isDirectory() && !target.isDirectory()) {
                    throw new FsException(Errno.ENOTDIR, to);
                }
                if (!source.isDirectory() && target.isDirectory()) {
                    throw new FsException(Errno.EISDIR, to);
                }
                if (target.isDirectory() && !target.children.isEmpty()) {
                    throw new FsException(Errno.ENOTEMPTY, to);
                }
            }
            long now = nowNanos();
            // everything is computed and journaled before the tree changes: a failed journal write
            // (a full disk) must leave the tree as the store has it
            List<Change> changes = new ArrayList<>();
            List<Inode> restamped = new ArrayList<>();
            changes.add(new Change(from, tombstone()));
            changes.add(new Change(to, stamp(source.record().toBuilder().ctime(now))));
            restamped.add(source);
            addChildren(source, to, changes, restamped);
            changes.add(new Change(path(fromParent), touched(fromParent, now)));
            restamped.add(fromParent);
            if (toParent != fromParent) {
                changes.add(new Change(path(toParent), touched(toParent, now)));
                restamped.add(toParent);
            }
            journal.record(changes);

            if (target != null) {
                detach(target);
            }
            detach(source);
            source.relink();
            attach(toParent, toName, source);
            for (int i = 0; i < restamped.size(); i++) {
                restamped.get(i).record(changes.get(i + 1).record());
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Changes an inode's record (attributes, xattrs, sealed content). An unlinked inode changes in memory
     * only: nothing is written for a file nobody can find.
     */
    public Record update(Inode inode, UnaryOperator<Record> change) throws FsException {
        lock.writeLock().lock();
        try {
            Record changed = change.apply(inode.record());
            if (!inode.isLinked()) {
                inode.record(changed);
                return changed;
            }
            Record stamped = stamp(changed.toBuilder());
            journal.record(List.of(new Change(path(inode), stamped)));
            inode.record(stamped);
            return stamped;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Follows changes that a merge already made in the store (see {@link NamespaceListener}): nothing is
     * journaled again. An inode whose path keeps its kind (directory or not) is updated in place, so open
     * handles stay valid; one that is removed, or replaced by the other kind, is unlinked with everything
     * below it. The clock observes every record, so later local edits order after what was merged.
     *
     * <p>The store tells its listeners after releasing its lock, so a local operation may reach the store
     * between its merge and this call; {@code refresh} (the store's {@code current}) is asked, under this
     * tree's lock, for what the store holds now, so such an operation is not undone here by the record it
     * replaced. The tree's lock comes before the store's, as in every operation.
     */
    public void applyRemote(List<Change> changes, UnaryOperator<List<Change>> refresh) {
        lock.writeLock().lock();
        try {
            for (Change c : refresh.apply(changes)) {
                hlc.observe(c.record().clock());
                applyOne(c.path(), c.record());
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** As {@link #applyRemote(List, UnaryOperator)} for changes known to be current (tests, replays). */
    public void applyRemote(List<Change> changes) {
        applyRemote(changes, UnaryOperator.identity());
    }

    // ---- internals; callers hold the lock ----

    private void applyOne(String path, Record record) {
        if (path.equals("/")) {
            root.record(record);
            return;
        }
        int slash = path.lastIndexOf('/');
        Inode parent = find(path.substring(0, Math.max(slash, 1)));
        String name = path.substring(slash + 1);
        if (parent == null || !parent.isDirectory()) {
            if (!record.isDeleted()) {
                log.warn("remote change to {} skipped: its parent directory is missing", PathCodec.printable(path));
            }
            return;
        }
        Inode existing = parent.children.get(name);
        boolean wantDir = record.type() == Record.Type.DIR;
        if (existing != null && !record.isDeleted() && existing.isDirectory() == wantDir) {
            existing.record(record);
            return;
        }
        if (existing != null) {
            detachTree(existing);
        }
        if (!record.isDeleted()) {
            attach(parent, name, new Inode(nextIno.getAndIncrement(), parent, null, record));
        }
    }

    /** Detaches an inode and unlinks everything below it, so open handles inside see their files gone. */
    private void detachTree(Inode top) {
        if (top.isDirectory()) {
            for (Inode child : List.copyOf(top.children.values())) {
                detachTree(child);
            }
        }
        detach(top);
    }

    /** Writes a moved directory's descendants again under its new path, each with a fresh clock. */
    private void addChildren(Inode dir, String path, List<Change> changes, List<Inode> restamped) {
        if (!dir.isDirectory()) {
            return;
        }
        for (Map.Entry<String, Inode> e : dir.children.entrySet()) {
            Inode child = e.getValue();
            String childPath = path + "/" + e.getKey();
            changes.add(new Change(childPath, stamp(child.record().toBuilder())));
            restamped.add(child);
            addChildren(child, childPath, changes, restamped);
        }
    }

    /**
     * Journals a new entry and its parent's new times, then links it into the tree: if the journal write
     * fails (a full disk) the tree is left as the store has it.
     */
    private Inode addEntry(Inode parent, String name, String path, long now, Record.Builder builder) {
        Record record = stamp(builder);
        Record parentRecord = touched(parent, now);
        journal.record(List.of(new Change(path, record), new Change(path(parent), parentRecord)));
        Inode inode = new Inode(nextIno.getAndIncrement(), parent, null, record);
        attach(parent, name, inode);
        parent.record(parentRecord);
        return inode;
    }

    /** Journals a removal and its parent's new times, then unlinks the inode. */
    private void removeEntry(Inode parent, Inode victim, String path) {
        Record parentRecord = touched(parent, nowNanos());
        journal.record(List.of(new Change(path, tombstone()), new Change(path(parent), parentRecord)));
        detach(victim);
        parent.record(parentRecord);
    }

    /** A directory's record with new modification and change times, not yet applied. */
    private Record touched(Inode dir, long now) {
        return stamp(dir.record().toBuilder().mtime(now).ctime(now));
    }

    private void attach(Inode parent, String name, Inode child) {
        child.parent = parent;
        child.name = name;
        parent.children.put(name, child);
        if (child.isDirectory()) {
            parent.subdirs++;
        }
        inodes++;
    }

    private void detach(Inode child) {
        Inode parent = child.parent;
        parent.children.remove(child.name);
        if (child.isDirectory()) {
            parent.subdirs--;
        }
        child.unlink();
        inodes--;
    }

    private Record tombstone() {
        return Record.tombstone(hlc.now(), nodeId);
    }

    private Record stamp(Record.Builder builder) {
        return builder.clock(hlc.now()).writer(nodeId).build();
    }

    private static String path(Inode inode) {
        if (inode.parent == null) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        prepend(inode, sb);
        return sb.toString();
    }

    private static void prepend(Inode inode, StringBuilder sb) {
        if (inode.parent != null) {
            prepend(inode.parent, sb);
            sb.append('/').append(inode.name);
        }
    }

    private Inode find(String path) {
        Inode at = root;
        for (String segment : split(path)) {
            if (!at.isDirectory()) {
                return null;
            }
            at = at.children.get(segment);
            if (at == null) {
                return null;
            }
        }
        return at;
    }

    private Inode resolve(String path) throws FsException {
        Inode at = root;
        for (String segment : split(path)) {
            if (!at.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path);
            }
            if (segment.length() > NAME_MAX) {
                throw new FsException(Errno.ENAMETOOLONG, path);
            }
            at = at.children.get(segment);
            if (at == null) {
                throw new FsException(Errno.ENOENT, path);
            }
        }
        return at;
    }

    private Inode parentOf(String path) throws FsException {
        List<String> segments = split(path);
        if (segments.isEmpty()) {
            throw new FsException(Errno.EEXIST, "the root directory always exists");
        }
        int slash = path.lastIndexOf('/');
        Inode parent = resolve(slash == 0 ? "/" : path.substring(0, slash));
        if (!parent.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, path);
        }
        return parent;
    }

    private static String checkedName(String path) throws FsException {
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.length() > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + NAME_MAX + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new FsException(Errno.EINVAL, path);
        }
        return name;
    }

    static List<String> split(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            throw new IllegalArgumentException("not an absolute path: " + path);
        }
        List<String> segments = new ArrayList<>();
        int start = 1;
        while (start < path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            if (end > start) {
                segments.add(path.substring(start, end));
            }
            start = end + 1;
        }
        return segments;
    }

    public static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
