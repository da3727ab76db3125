package dev.delugefs.fs.vfs;

/** statfs(2) figures, in bytes and inode counts. */
public record FsStats(long totalBytes, long freeBytes, long availableBytes, long files, long freeFiles,
                      int blockSize, int nameMax) {
}
