/*
 * The floor of the FUSE stack DelugeFS runs on: a passthrough filesystem in C on libfuse 2, mounted with
 * the options the node uses, that maps every path onto a backing directory of the same disk and does
 * nothing else (no hashing, no namespace, no JVM). What it reaches is the best any filesystem on libfuse 2
 * can reach on this machine; scripts/bench/fs.sh runs the same workloads on it, native and DelugeFS.
 *
 *   floorfs BACKING_DIR MOUNTPOINT [fuse options...]
 */
#define FUSE_USE_VERSION 26
#define _GNU_SOURCE
#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int backing = -1; /* a directory fd: every path is resolved relative to it, without copying */

/* "/a/b" -> "a/b"; "/" -> "." */
static const char *rel(const char *path) {
    return path[1] == '\0' ? "." : path + 1;
}

static int fail(int rc) {
    return rc < 0 ? -errno : rc;
}

static int ff_getattr(const char *path, struct stat *st) {
    return fail(fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

static int ff_fgetattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    (void) path;
    return fail(fstat((int) fi->fh, st));
}

static int ff_mkdir(const char *path, mode_t mode) {
    return fail(mkdirat(backing, rel(path), mode));
}

static int ff_rmdir(const char *path) {
    return fail(unlinkat(backing, rel(path), AT_REMOVEDIR));
}

static int ff_unlink(const char *path) {
    return fail(unlinkat(backing, rel(path), 0));
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    int fd = openat(backing, rel(path), (fi->flags & ~O_DIRECT) | O_CREAT, mode);
    if (fd < 0) {
        return -errno;
    }
    fi->fh = (uint64_t) fd;
    return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi) {
    int fd = openat(backing, rel(path), fi->flags & ~O_DIRECT);
    if (fd < 0) {
        return -errno;
    }
    fi->fh = (uint64_t) fd;
    return 0;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    (void) path;
    return fail((int) pread((int) fi->fh, buf, size, off));
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    (void) path;
    return fail((int) pwrite((int) fi->fh, buf, size, off));
}

static int ff_flush(const char *path, struct fuse_file_info *fi) {
    (void) path;
    (void) fi;
    return 0;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void) path;
    return fail(datasync ? fdatasync((int) fi->fh) : fsync((int) fi->fh));
}

static int ff_release(const char *path, struct fuse_file_info *fi) {
    (void) path;
    close((int) fi->fh);
    return 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi) {
    (void) off;
    (void) fi;
    int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return -errno;
    }
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return -errno;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (fill(buf, e->d_name, NULL, 0) != 0) {
            break;
        }
    }
    closedir(dir);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: floorfs BACKING_DIR MOUNTPOINT [fuse options...]\n");
        return 2;
    }
    backing = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (backing < 0) {
        perror(argv[1]);
        return 1;
    }
    struct fuse_operations ops = {0};
    ops.getattr = ff_getattr;
    ops.fgetattr = ff_fgetattr;
    ops.mkdir = ff_mkdir;
    ops.rmdir = ff_rmdir;
    ops.unlink = ff_unlink;
    ops.create = ff_create;
    ops.open = ff_open;
    ops.read = ff_read;
    ops.write = ff_write;
    ops.flush = ff_flush;
    ops.fsync = ff_fsync;
    ops.release = ff_release;
    ops.readdir = ff_readdir;
    /* argv[1] is ours: libfuse sees the program name, the mountpoint and the options */
    argv[1] = argv[0];
    return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
