package dev.delugefs.fs.fuse;

import dev.delugefs.fs.vfs.Caller;
import dev.delugefs.fs.vfs.DirEntry;
import dev.delugefs.fs.vfs.FsStats;
import dev.delugefs.fs.vfs.Stat;
import dev.delugefs.fs.vfs.Vfs;
import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.Namespace;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;

/**
 * The thin jnr-fuse adapter: every callback decodes its arguments, calls the {@link Vfs}, and turns the
 * outcome into 0 or a negative errno in one place ({@link #errno}). Paths and names pass through as raw
 * strings: the JVM runs with ISO-8859-1 as its default charset, so jnr-ffi maps each byte to one char and
 * back, and names that are not UTF-8 survive.
 */
final class DelugeFuse extends FuseStubFS {
    private static final Logger log = LoggerFactory.getLogger(DelugeFuse.class);
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    /** More than libfuse's default of 10 worker threads ever use at once. */
    private final BufferPool buffers = new BufferPool(32);

    private final Vfs vfs;

    DelugeFuse(Vfs vfs) {
        this.vfs = vfs;
        // libfuse 2 silently drops a time change that does not set both atime and mtime (touch -m, tar's
        // futimens with UTIME_OMIT) unless the filesystem declares flag_utime_omit_ok. The flags are one
        // C bitfield word; jnr-fuse maps it as four bytes, and that flag is bit 2 of the first.
        Pointer ops = Struct.getMemory(fuseOperations);
        long flags = flagWordOffset();
        ops.putByte(flags, (byte) (ops.getByte(flags) | 0b100));
    }

    /** jnr-ffi keeps a member's offset() on a protected class: reach it reflectively. */
    private long flagWordOffset() {
        try {
            Object member = fuseOperations.flag_nullpath_ok;
            Method offset = member.getClass().getMethod("offset");
            offset.setAccessible(true);
            return (Long) offset.invoke(member);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot locate the FUSE operation flags in this jnr-fuse", e);
        }
    }

    @FunctionalInterface
    private interface Op {
        int run() throws IOException;
    }

    private static int call(String op, String path, Op body) {
        try {
            return body.run();
        } catch (Throwable t) {
            return -errno(op, path, t);
        }
    }

    /** The one place where outcomes become errno values. */
    static int errno(String op, String path, Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return errno(op, path, u.getCause());
        }
        if (t instanceof FsException fe) {
            if (fe.errno() == Errno.EIO) {
                log.warn("{} {}: {}", op, path, fe.getMessage());
            } else {
                log.debug("{} {}: {}", op, path, fe.getMessage());
            }
            return fe.errno().code();
        }
        if (t instanceof NoSuchFileException) {
            return Errno.ENOENT.code();
        }
        if (t instanceof FileAlreadyExistsException) {
            return Errno.EEXIST.code();
        }
        if (t instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY.code();
        }
        if (t instanceof AccessDeniedException) {
            return Errno.EACCES.code();
        }
        String message = String.valueOf(t.getMessage());
        if (t instanceof IOException && message.contains("No space left on device")) {
            log.warn("{} {}: no space left on the storage disk", op, path);
            return Errno.ENOSPC.code();
        }
        if (t instanceof IOException && message.contains("File too large")) {
            return Errno.EFBIG.code();
        }
        log.error("{} {} failed", op, path, t);
        return Errno.EIO.code();
    }

    private Caller caller() {
        FuseContext context = getContext();
        return new Caller(context.uid.intValue(), context.gid.intValue());
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return call("getattr", path, () -> fill(stat, vfs.getattr(path)));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return call("fgetattr", path, () -> fill(stat, vfs.fgetattr(fi.fh.get())));
    }

    private static int fill(FileStat stat, Stat s) {
        stat.st_mode.set(s.mode());
        stat.st_ino.set(s.ino());
        stat.st_nlink.set(s.nlink());
        stat.st_uid.set(s.uid());
        stat.st_gid.set(s.gid());
        stat.st_size.set(s.size());
        stat.st_blksize.set(4096);
        stat.st_blocks.set((s.size() + 511) / 512);
        setTime(stat.st_mtim, s.mtimeNanos());
        setTime(stat.st_atim, s.mtimeNanos());
        setTime(stat.st_ctim, s.ctimeNanos());
        return 0;
    }

    private static void setTime(Timespec ts, long nanos) {
        ts.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
        ts.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return call("readdir", path, () -> {
            List<DirEntry> entries = vfs.readdir(path);
            filler.apply(buf, cString("."), null, 0);
            filler.apply(buf, cString(".."), null, 0);
            for (DirEntry e : entries) {
                if (filler.apply(buf, cString(e.name()), null, 0) != 0) {
                    break;
                }
            }
            return 0;
        });
    }

    /** A NUL-terminated copy of a raw name, independent of the default charset. */
    private static ByteBuffer cString(String raw) {
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.wrap(Arrays.copyOf(bytes, bytes.length + 1));
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call("mkdir", path, () -> {
            vfs.mkdir(path, (int) mode, caller());
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return call("rmdir", path, () -> {
            vfs.rmdir(path);
            return 0;
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return call("mknod", path, () -> {
            vfs.mknod(path, (int) mode, caller());
            return 0;
        });
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return call("create", path, () -> {
            fi.fh.set(vfs.create(path, (int) mode, fi.flags.get(), caller()));
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return call("open", path, () -> {
            fi.fh.set(vfs.open(path, fi.flags.get()));
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("read", path, () -> {
            if (size > BufferPool.BUFFER_SIZE) {
                byte[] bytes = new byte[(int) size];
                int n = vfs.read(fi.fh.get(), ByteBuffer.wrap(bytes), offset);
                buf.put(0, bytes, 0, n);
                return n;
            }
            BufferPool.Buffer b = buffers.take();
            try {
                int n = vfs.read(fi.fh.get(), b.window((int) size), offset);
                b.pointer.transferTo(0, buf, 0, n);
                return n;
            } finally {
                buffers.give(b);
            }
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("write", path, () -> {
            if (size > BufferPool.BUFFER_SIZE) {
                byte[] bytes = new byte[(int) size];
                buf.get(0, bytes, 0, bytes.length);
                return vfs.write(fi.fh.get(), ByteBuffer.wrap(bytes), offset);
            }
            BufferPool.Buffer b = buffers.take();
            try {
                buf.transferTo(0, b.pointer, 0, size);
                return vfs.write(fi.fh.get(), b.window((int) size), offset);
            } finally {
                buffers.give(b);
            }
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return call("truncate", path, () -> {
            vfs.truncate(path, size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return call("ftruncate", path, () -> {
            vfs.ftruncate(fi.fh.get(), size);
            return 0;
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return call("flush", path, () -> {
            vfs.flush(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return call("fsync", path, () -> {
            vfs.fsync(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return call("fsyncdir", path, () -> {
            vfs.sync();
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return call("release", path, () -> {
            vfs.release(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return call("unlink", path, () -> {
            vfs.unlink(path);
            return 0;
        });
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return call("rename", oldpath, () -> {
            vfs.rename(oldpath, newpath);
            return 0;
        });
    }

    @Override
    public int link(String oldpath, String newpath) {
        return call("link", newpath, () -> {
            vfs.link(oldpath, newpath);
            return 0;
        });
    }

    @Override
    public int symlink(String target, String linkpath) {
        return call("symlink", linkpath, () -> {
            vfs.symlink(target, linkpath, caller());
            return 0;
        });
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return call("readlink", path, () -> {
            byte[] target = vfs.readlink(path).getBytes(StandardCharsets.ISO_8859_1);
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return call("chmod", path, () -> {
            vfs.chmod(path, (int) mode);
            return 0;
        });
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return call("chown", path, () -> {
            vfs.chown(path, (int) uid, (int) gid);
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return call("utimens", path, () -> {
            Timespec mtime = timespec[1];
            long nsec = mtime.tv_nsec.longValue();
            if (nsec == UTIME_OMIT) {
                vfs.getattr(path);
                return 0;
            }
            long nanos = nsec == UTIME_NOW ? Namespace.nowNanos()
                    : mtime.tv_sec.get() * 1_000_000_000L + nsec;
            vfs.setMtime(path, nanos);
            return 0;
        });
    }

    @Override
    public int access(String path, int mask) {
        return call("access", path, () -> {
            vfs.access(path, mask, caller());
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs st) {
        return call("statfs", path, () -> {
            FsStats s = vfs.statfs();
            st.f_bsize.set(s.blockSize());
            st.f_frsize.set(s.blockSize());
            st.f_blocks.set(s.totalBytes() / s.blockSize());
            st.f_bfree.set(s.freeBytes() / s.blockSize());
            st.f_bavail.set(s.availableBytes() / s.blockSize());
            st.f_files.set(s.files());
            st.f_ffree.set(s.freeFiles());
            st.f_favail.set(s.freeFiles());
            st.f_namemax.set(s.nameMax());
            return 0;
        });
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return call("setxattr", path, () -> {
            byte[] bytes = new byte[(int) size];
            value.get(0, bytes, 0, bytes.length);
            vfs.setxattr(path, name, bytes, flags);
            return 0;
        });
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return call("getxattr", path, () -> copyOut(vfs.getxattr(path, name), value, size));
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return call("listxattr", path, () -> {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            for (String name : vfs.listxattr(path)) {
                names.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
                names.write(0);
            }
            return copyOut(names.toByteArray(), list, size);
        });
    }

    /** The xattr calls' convention: size 0 asks for the length, a too small buffer is ERANGE. */
    private static int copyOut(byte[] bytes, Pointer dst, long size) throws FsException {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            throw new FsException(Errno.ERANGE, "buffer of " + size + " bytes for " + bytes.length);
        }
        dst.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    @Override
    public int removexattr(String path, String name) {
        return call("removexattr", path, () -> {
            vfs.removexattr(path, name);
            return 0;
        });
    }
}
