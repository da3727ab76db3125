package dev.delugefs.fs.vfs;

/** The user and group of the process making a call: owners of what it creates, subjects of access(2). */
public record Caller(int uid, int gid) {
    public static final Caller ROOT = new Caller(0, 0);
}
