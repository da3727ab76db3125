package dev.delugefs.fs.vfs;

/** The open(2) flag bits DelugeFS looks at, with their Linux values. */
public final class OpenFlags {
    public static final int O_ACCMODE = 03;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;

    private OpenFlags() {
    }

    public static boolean readable(int flags) {
        return (flags & O_ACCMODE) != O_WRONLY;
    }

    public static boolean writable(int flags) {
        return (flags & O_ACCMODE) != O_RDONLY;
    }
}
