package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.FsException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The filesystem as the mount sees it, with no FUSE in it: every operation takes raw paths (one char per
 * byte of the name, see {@code PathCodec}) and ends normally or with an {@link FsException} carrying the
 * errno. Open files are numbered handles. Safe to call from many threads; calls on different files never
 * wait for each other's I/O.
 */
public interface Vfs extends Closeable {

    Stat getattr(String path) throws IOException;

    /** Attributes through an open handle: also works for a file that was unlinked while open. */
    Stat fgetattr(long handle) throws IOException;

    /** Names and attributes of a directory's entries, without "." and "..". */
    List<DirEntry> readdir(String path) throws IOException;

    void mkdir(String path, int mode, Caller caller) throws IOException;

    void rmdir(String path) throws IOException;

    /** Creates a regular file; {@code flags} are the open(2) flags, and the file is opened with them. */
    long create(String path, int mode, int flags, Caller caller) throws IOException;

    /** mknod(2): regular files only; fifos, sockets and devices answer ENOTSUP. */
    void mknod(String path, int mode, Caller caller) throws IOException;

    long open(String path, int flags) throws IOException;

    /** Reads until {@code dst} is full or the file ends; returns the byte count (0 at or past the end). */
    int read(long handle, ByteBuffer dst, long offset) throws IOException;

    int write(long handle, ByteBuffer src, long offset) throws IOException;

    void truncate(String path, long size) throws IOException;

    void ftruncate(long handle, long size) throws IOException;

    /** close(2) of one descriptor: what this handle wrote is sealed and durable when this returns. */
    void flush(long handle) throws IOException;

    /** fsync(2): seals the file's current content and makes it and the namespace durable on disk. */
    void fsync(long handle) throws IOException;

    void release(long handle) throws IOException;

    void unlink(String path) throws IOException;

    void rename(String from, String to) throws IOException;

    /** Hard links are not supported: always EPERM. */
    void link(String from, String to) throws IOException;

    void symlink(String target, String path, Caller caller) throws IOException;

    String readlink(String path) throws IOException;

    void chmod(String path, int mode) throws IOException;

    /** A uid or gid of -1 leaves that one unchanged, as chown(2) does. */
    void chown(String path, int uid, int gid) throws IOException;

    /** Sets the modification time (ns since the epoch); access times are not kept. */
    void setMtime(String path, long mtimeNanos) throws IOException;

    void access(String path, int mask, Caller caller) throws IOException;

    FsStats statfs() throws IOException;

    void setxattr(String path, String name, byte[] value, int flags) throws IOException;

    byte[] getxattr(String path, String name) throws IOException;

    List<String> listxattr(String path) throws IOException;

    void removexattr(String path, String name) throws IOException;

    /** Makes every closed file and every namespace change durable and committed. */
    void sync() throws IOException;

    /** Seals what open files hold and stops; later calls fail with EIO. */
    @Override
    void close() throws IOException;
}
