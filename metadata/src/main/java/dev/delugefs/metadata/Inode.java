package dev.delugefs.metadata;

import java.util.TreeMap;

/**
 * One file, directory or symlink of the live namespace. Open files hold on to their inode, so a rename or
 * unlink while a file is open changes where (or whether) its content lands when it is sealed, not which
 * file the handle writes to. Structure fields are guarded by the {@link Namespace} lock; the record is
 * volatile so getattr on an open file needs no lock.
 */
public final class Inode {
    private final long ino;
    private volatile Record record;
    private volatile boolean linked = true;
    Inode parent;
    String name;
    final TreeMap<String, Inode> children;
    int subdirs;

    Inode(long ino, Inode parent, String name, Record record) {
        this.ino = ino;
        this.parent = parent;
        this.name = name;
        this.record = record;
        this.children = record.type() == Record.Type.DIR ? new TreeMap<>() : null;
    }

    public long ino() {
        return ino;
    }

    public Record record() {
        return record;
    }

    void record(Record record) {
        this.record = record;
    }

    public Record.Type type() {
        return record.type();
    }

    public boolean isDirectory() {
        return children != null;
    }

    /** False once the inode was unlinked, removed or replaced: its content then belongs to nobody. */
    public boolean isLinked() {
        return linked;
    }

    void unlink() {
        linked = false;
    }

    /** A rename detaches and re-attaches the same inode. */
    void relink() {
        linked = true;
    }

    /** Hard-link count as stat reports it: 2 plus subdirectories for a directory, 1 otherwise. */
    public int nlink() {
        return children != null ? 2 + subdirs : 1;
    }

    @Override
    public String toString() {
        return "inode " + ino + " (" + record.type() + ")";
    }
}
