package dev.delugefs.fs.vfs;

/** What stat(2) reports for one inode. {@code mode} holds the type bits and the permission bits. */
public record Stat(long ino, int mode, int nlink, int uid, int gid, long size, long mtimeNanos, long ctimeNanos) {
    public static final int S_IFMT = 0170000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFLNK = 0120000;

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    public int permissions() {
        return mode & 07777;
    }
}
