package dev.delugefs.fs.vfs;

import dev.delugefs.swarm.BlockStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much a node may still store: what its disk has free, and with {@code --max-storage} no more than
 * that limit less what its {@code blocks/} and {@code tmp/} hold. Writes, the free space told to peers and
 * the choice of replication targets all ask here, so a node at its limit is never chosen.
 */
public final class StorageSpace {
    private final BlockStore blocks;
    private final FileStore disk;
    private final long maxStorage;

    private StorageSpace(BlockStore blocks, FileStore disk, long maxStorage) {
        this.blocks = blocks;
        this.disk = disk;
        this.maxStorage = maxStorage;
    }

    /** @param maxStorage bytes this node may hold, 0 for as much as the disk of {@code root} has */
    public static StorageSpace of(Path root, BlockStore blocks, long maxStorage) throws IOException {
        if (maxStorage < 0) {
            throw new IllegalArgumentException("--max-storage must not be negative");
        }
        return new StorageSpace(blocks, Files.getFileStore(root), maxStorage);
    }

    /** Bytes that may still be stored. */
    public long usable() {
        try {
            long free = disk.getUsableSpace();
            return maxStorage == 0 ? free : Math.max(0, Math.min(free, maxStorage - blocks.usedBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The most this node may store. */
    public long total() {
        try {
            return maxStorage == 0 ? disk.getTotalSpace() : Math.min(disk.getTotalSpace(), maxStorage);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
