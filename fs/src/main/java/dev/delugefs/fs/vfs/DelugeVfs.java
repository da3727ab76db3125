package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.Inode;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.Record;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The {@link Vfs} over the live {@link Namespace} (names, attributes) and the {@link BlockStore} (bytes). */
public final class DelugeVfs implements Vfs {
    /** Far beyond any disk here; keeps offset arithmetic clear of overflow. */
    static final long MAX_FILE_SIZE = 1L << 50;
    static final int XATTR_NAME_MAX = 255;
    static final int XATTR_SIZE_MAX = 65536;
    static final int XATTR_CREATE = 1;
    static final int XATTR_REPLACE = 2;
    private static final Logger log = LoggerFactory.getLogger(DelugeVfs.class);

    /** Makes journaled changes durable and committed; the node passes the namespace store's sync. */
    @FunctionalInterface
    public interface Durability {
        void sync() throws IOException;
    }

    private final Namespace namespace;
    private final BlockStore blocks;
    private final int pieceLength;
    private final Durability durability;
    private final StorageSpace storage;
    private final SpaceGuard space;
    private volatile ContentNetwork network = ContentNetwork.LOCAL_ONLY;
    /** How many following files of a directory an open of a remote file asks for ahead. */
    private static final int PREFETCH_SIBLINGS = 4;
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, OpenFile> openFiles = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** One open(2): its flags, and whether it wrote since its last flush (so close seals only writers). */
    private static final class Handle {
        final OpenFile file;
        final int flags;
        volatile boolean wrote;

        Handle(OpenFile file, int flags) {
            this.file = file;
            this.flags = flags;
        }
    }

    public DelugeVfs(Namespace namespace, BlockStore blocks, int pieceLength, Durability durability,
                     StorageSpace storage) throws IOException {
        this.namespace = namespace;
        this.blocks = blocks;
        this.pieceLength = pieceLength;
        this.durability = durability;
        this.storage = storage;
        this.space = SpaceGuard.of(storage);
    }

    /** Reaches content held by other nodes from now on; files opened before stay local-only. */
    public void connect(ContentNetwork contentNetwork) {
        this.network = contentNetwork;
    }

    @Override
    public Stat getattr(String path) throws IOException {
        checkOpen();
        return stat(namespace.lookup(path));
    }

    @Override
    public Stat fgetattr(long handle) throws IOException {
        return stat(handle(handle).file.inode());
    }

    @Override
    public List<DirEntry> readdir(String path) throws IOException {
        checkOpen();
        List<Namespace.Entry> entries = namespace.list(namespace.lookup(path));
        List<DirEntry> result = new ArrayList<>(entries.size());
        for (Namespace.Entry e : entries) {
            result.add(new DirEntry(e.name(), stat(e.inode())));
        }
        return result;
    }

    @Override
    public void mkdir(String path, int mode, Caller caller) throws IOException {
        checkOpen();
        namespace.mkdir(path, mode, caller.uid(), caller.gid());
    }

    @Override
    public void rmdir(String path) throws IOException {
        checkOpen();
        namespace.rmdir(path);
    }

    @Override
    public long create(String path, int mode, int flags, Caller caller) throws IOException {
        checkOpen();
        Namespace.Created created = namespace.createFile(path, mode, caller.uid(), caller.gid(),
                (flags & OpenFlags.O_EXCL) != 0);
        int openFlags = created.created() ? flags & ~OpenFlags.O_TRUNC : flags;
        return openInode(created.inode(), openFlags);
    }

    @Override
    public void mknod(String path, int mode, Caller caller) throws IOException {
        checkOpen();
        int type = mode & Stat.S_IFMT;
        if (type != 0 && type != Stat.S_IFREG) {
            throw new FsException(Errno.ENOTSUP, "only regular files, directories and symlinks are supported");
        }
        namespace.createFile(path, mode, caller.uid(), caller.gid(), true);
    }

    @Override
    public long open(String path, int flags) throws IOException {
        checkOpen();
        Inode inode = namespace.lookup(path);
        if (inode.isDirectory() && OpenFlags.writable(flags)) {
            throw new FsException(Errno.EISDIR, path);
        }
        long handle = openInode(inode, flags);
        prefetchNextSiblings(inode);
        return handle;
    }

    /** Files after a remote file in its directory, asked for ahead: cp -r, tar and cat * read them next. */
    private void prefetchNextSiblings(Inode inode) {
        ContentNetwork net = network;
        Record.Content opened = inode.record().content();
        if (net == ContentNetwork.LOCAL_ONLY || opened == null || blocks.has(opened.id())) {
            return;
        }
        for (Namespace.Entry sibling : namespace.nextSiblings(inode, PREFETCH_SIBLINGS)) {
            Record record = sibling.inode().record();
            Record.Content content = record.content();
            if (record.type() == Record.Type.FILE && content != null && !blocks.has(content.id())) {
                net.prefetch(ContentInfo.of(record.size(), content.pieceLength(), content.pieces()));
            }
        }
    }

    private long openInode(Inode inode, int flags) throws IOException {
        OpenFile file = retain(inode);
        Handle handle = new Handle(file, flags);
        try {
            if ((flags & OpenFlags.O_TRUNC) != 0 && OpenFlags.writable(flags) && !inode.isDirectory()) {
                file.truncate(0);
                // the truncation must be sealed by this handle's close, like a write
                handle.wrote = true;
            }
        } catch (IOException | RuntimeException e) {
            release(file);
            throw e;
        }
        long id = nextHandle.getAndIncrement();
        handles.put(id, handle);
        return id;
    }

    @Override
    public int read(long handle, ByteBuffer dst, long offset) throws IOException {
        Handle h = handle(handle);
        if (!OpenFlags.readable(h.flags)) {
            throw new FsException(Errno.EBADF, "handle " + handle + " is not open for reading");
        }
        if (h.file.inode().isDirectory()) {
            throw new FsException(Errno.EISDIR, "read of a directory");
        }
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "negative offset");
        }
        return h.file.read(dst, offset);
    }

    @Override
    public int write(long handle, ByteBuffer src, long offset) throws IOException {
        Handle h = handle(handle);
        if (!OpenFlags.writable(h.flags)) {
            throw new FsException(Errno.EBADF, "handle " + handle + " is not open for writing");
        }
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "negative offset");
        }
        if (offset + src.remaining() > MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, "file would exceed " + MAX_FILE_SIZE + " bytes");
        }
        space.claim(src.remaining());
        h.wrote = true;
        return h.file.write(src, offset);
    }

    @Override
    public void truncate(String path, long size) throws IOException {
        checkOpen();
        checkSize(size);
        Inode inode = namespace.lookup(path);
        if (inode.isDirectory()) {
            throw new FsException(Errno.EISDIR, path);
        }
        if (inode.type() != Record.Type.FILE) {
            throw new FsException(Errno.EINVAL, path);
        }
        OpenFile file = retain(inode);
        try {
            file.truncate(size);
            file.seal(false);
        } finally {
            release(file);
        }
    }

    @Override
    public void ftruncate(long handle, long size) throws IOException {
        checkSize(size);
        Handle h = handle(handle);
        if (!OpenFlags.writable(h.flags)) {
            throw new FsException(Errno.EINVAL, "handle " + handle + " is not open for writing");
        }
        h.wrote = true;
        h.file.truncate(size);
    }

    @Override
    public void flush(long handle) throws IOException {
        Handle h = handle(handle);
        if (h.wrote) {
            h.wrote = false;
            h.file.seal(false);
        }
    }

    @Override
    public void fsync(long handle) throws IOException {
        Handle h = handle(handle);
        h.wrote = false;
        h.file.fsync();
        durability.sync();
    }

    @Override
    public void release(long handle) throws IOException {
        Handle h = handles.remove(handle);
        if (h == null) {
            throw new FsException(Errno.EBADF, "no open handle " + handle);
        }
        release(h.file);
    }

    @Override
    public void unlink(String path) throws IOException {
        checkOpen();
        namespace.unlink(path);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        checkOpen();
        namespace.rename(from, to);
    }

    @Override
    public void link(String from, String to) throws IOException {
        throw new FsException(Errno.EPERM, "hard links are not supported");
    }

    @Override
    public void symlink(String target, String path, Caller caller) throws IOException {
        checkOpen();
        namespace.symlink(target, path, caller.uid(), caller.gid());
    }

    @Override
    public String readlink(String path) throws IOException {
        checkOpen();
        Record record = namespace.lookup(path).record();
        if (record.type() != Record.Type.SYMLINK) {
            throw new FsException(Errno.EINVAL, path + " is not a symbolic link");
        }
        return record.target();
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        checkOpen();
        long now = Namespace.nowNanos();
        namespace.update(namespace.lookup(path), r -> r.toBuilder().mode(mode & 07777).ctime(now).build());
    }

    @Override
    public void chown(String path, int uid, int gid) throws IOException {
        checkOpen();
        long now = Namespace.nowNanos();
        namespace.update(namespace.lookup(path), r -> r.toBuilder()
                .uid(uid == -1 ? r.uid() : uid).gid(gid == -1 ? r.gid() : gid).ctime(now).build());
    }

    @Override
    public void setMtime(String path, long mtimeNanos) throws IOException {
        checkOpen();
        Inode inode = namespace.lookup(path);
        OpenFile open = openFiles.get(inode.ino());
        if (open != null) {
            open.setMtime(mtimeNanos);
        }
        long now = Namespace.nowNanos();
        namespace.update(inode, r -> r.toBuilder().mtime(mtimeNanos).ctime(now).build());
    }

    @Override
    public void access(String path, int mask, Caller caller) throws IOException {
        checkOpen();
        Record r = namespace.lookup(path).record();
        if (mask == 0) {
            return;
        }
        int granted;
        if (caller.uid() == 0) {
            // root may read and write anything, and execute what anybody may execute (or search any directory)
            granted = 06 | ((r.type() == Record.Type.DIR || (r.mode() & 0111) != 0) ? 01 : 0);
        } else if (caller.uid() == r.uid()) {
            granted = (r.mode() >> 6) & 07;
        } else if (caller.gid() == r.gid()) {
            granted = (r.mode() >> 3) & 07;
        } else {
            granted = r.mode() & 07;
        }
        if ((mask & 07 & ~granted) != 0) {
            throw new FsException(Errno.EACCES, path);
        }
    }

    @Override
    public FsStats statfs() throws IOException {
        checkOpen();
        long files = namespace.inodeCount();
        long freeFiles = Math.max(1_000_000L, files);
        long free = storage.usable();
        return new FsStats(storage.total(), free, free, files + freeFiles, freeFiles, 4096, Namespace.NAME_MAX);
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
        checkOpen();
        checkXattrName(name);
        if (value.length > XATTR_SIZE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value larger than " + XATTR_SIZE_MAX + " bytes");
        }
        Inode inode = namespace.lookup(path);
        boolean exists = inode.record().xattrs().containsKey(name);
        if ((flags & XATTR_CREATE) != 0 && exists) {
            throw new FsException(Errno.EEXIST, "xattr " + name + " exists");
        }
        if ((flags & XATTR_REPLACE) != 0 && !exists) {
            throw new FsException(Errno.ENODATA, "no xattr " + name);
        }
        long now = Namespace.nowNanos();
        namespace.update(inode, r -> {
            TreeMap<String, byte[]> xattrs = new TreeMap<>(r.xattrs());
            xattrs.put(name, value.clone());
            return r.toBuilder().xattrs(xattrs).ctime(now).build();
        });
    }

    @Override
    public byte[] getxattr(String path, String name) throws IOException {
        checkOpen();
        checkXattrName(name);
        byte[] value = namespace.lookup(path).record().xattrs().get(name);
        if (value == null) {
            throw new FsException(Errno.ENODATA, "no xattr " + name);
        }
        return value.clone();
    }

    @Override
    public List<String> listxattr(String path) throws IOException {
        checkOpen();
        return new ArrayList<>(namespace.lookup(path).record().xattrs().keySet());
    }

    @Override
    public void removexattr(String path, String name) throws IOException {
        checkOpen();
        checkXattrName(name);
        Inode inode = namespace.lookup(path);
        if (!inode.record().xattrs().containsKey(name)) {
            throw new FsException(Errno.ENODATA, "no xattr " + name);
        }
        long now = Namespace.nowNanos();
        namespace.update(inode, r -> {
            TreeMap<String, byte[]> xattrs = new TreeMap<>(r.xattrs());
            xattrs.remove(name);
            return r.toBuilder().xattrs(xattrs).ctime(now).build();
        });
    }

    @Override
    public void sync() throws IOException {
        checkOpen();
        durability.sync();
    }

    /** Seals every file that open handles wrote to; the handles themselves die with the mount. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        int sealed = 0;
        for (Map.Entry<Long, OpenFile> e : openFiles.entrySet()) {
            try {
                if (e.getValue().seal(true)) {
                    sealed++;
                }
            } catch (IOException | RuntimeException ex) {
                log.error("could not seal open file (inode {}) at shutdown", e.getKey(), ex);
            }
        }
        if (sealed > 0) {
            log.info("sealed {} file(s) that were still open", sealed);
        }
    }

    /** Content that open files read, unlinked ones included: the garbage collector must leave it alone. */
    public Set<String> contentInUse() {
        Set<String> ids = new HashSet<>();
        for (OpenFile file : openFiles.values()) {
            Record.Content content = file.inode().record().content();
            if (content != null) {
                ids.add(content.id());
            }
        }
        return ids;
    }

    // ---- internals ----

    private Stat stat(Inode inode) {
        Record r = inode.record();
        int type = switch (r.type()) {
            case DIR -> Stat.S_IFDIR;
            case SYMLINK -> Stat.S_IFLNK;
            default -> Stat.S_IFREG;
        };
        long size = r.size();
        long mtime = r.mtime();
        long ctime = r.ctime();
        OpenFile open = openFiles.get(inode.ino());
        if (open != null && open.inode() == inode) {
            size = open.size();
            mtime = open.mtime();
            ctime = open.ctime();
        }
        return new Stat(inode.ino(), type | (r.mode() & 07777), inode.nlink(), r.uid(), r.gid(), size, mtime, ctime);
    }

    private OpenFile retain(Inode inode) {
        while (true) {
            OpenFile file = openFiles.computeIfAbsent(inode.ino(),
                    ino -> new OpenFile(inode, namespace, blocks, network, pieceLength));
            if (file.retain()) {
                return file;
            }
            // it was being closed: wait for it to leave the table, then make a fresh one
            openFiles.remove(inode.ino(), file);
        }
    }

    private void release(OpenFile file) throws IOException {
        try {
            file.releaseHandle();
        } finally {
            if (file.isClosed()) {
                openFiles.remove(file.inode().ino(), file);
            }
        }
    }

    private Handle handle(long id) throws FsException {
        Handle h = handles.get(id);
        if (h == null) {
            throw new FsException(Errno.EBADF, "no open handle " + id);
        }
        return h;
    }

    private void checkOpen() throws FsException {
        if (closed) {
            throw new FsException(Errno.EIO, "the filesystem is shutting down");
        }
    }

    private static void checkSize(long size) throws FsException {
        if (size < 0) {
            throw new FsException(Errno.EINVAL, "negative size");
        }
        if (size > MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, "size exceeds " + MAX_FILE_SIZE + " bytes");
        }
    }

    private static void checkXattrName(String name) throws FsException {
        if (name.isEmpty() || name.length() > XATTR_NAME_MAX) {
            throw new FsException(Errno.ERANGE, "xattr name must be 1.." + XATTR_NAME_MAX + " bytes");
        }
        if (name.startsWith("system.")) {
            // POSIX ACLs and other system attributes need kernel-side support we do not have
            throw new FsException(Errno.ENOTSUP, "system.* attributes are not supported");
        }
    }
}
