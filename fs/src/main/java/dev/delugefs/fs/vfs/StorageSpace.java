package dev.delugefs.fs.vfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * How much a node may still store: what its disk has free, and with {@code --max-storage} no more than
 * that limit less what its {@code blocks/} and {@code tmp/} hold. Writes, the free space told to peers and
 * the choice of replication targets all ask here, so a node at its limit is never chosen.
 */
public final class StorageSpace {
    private final Path root;
    private final FileStore disk;
    private final long maxStorage;

    private StorageSpace(Path root, FileStore disk, long maxStorage) {
        this.root = root;
        this.disk = disk;
        this.maxStorage = maxStorage;
    }

    /** @param maxStorage bytes this node may hold, 0 for as much as the disk has */
    public static StorageSpace of(Path root, long maxStorage) throws IOException {
        if (maxStorage < 0) {
            throw new IllegalArgumentException("--max-storage must not be negative");
        }
        return new StorageSpace(root, Files.getFileStore(root), maxStorage);
    }

    /** Bytes that may still be stored. */
    public long usable() {
        try {
            long free = disk.getUsableSpace();
            return maxStorage == 0 ? free : Math.max(0, Math.min(free, maxStorage - used()));
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

    private long used() throws IOException {
        return sizeOf(root.resolve("blocks")) + sizeOf(root.resolve("tmp"));
    }

    private static long sizeOf(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.mapToLong(StorageSpace::sizeOfFile).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static long sizeOfFile(Path path) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isRegularFile() ? attributes.size() : 0;
        } catch (NoSuchFileException e) {
            return 0;  // gone while we walked
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
