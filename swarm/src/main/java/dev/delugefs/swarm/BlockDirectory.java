package dev.delugefs.swarm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.DirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where sealed content lives: {@code blocks/<first two hex digits>/<id>}, read-only. Two hex digits
 * spread a large store over 256 directories. A {@code <id>.bitmap} beside a file marks it as being
 * fetched (DESIGN §3): such content is not complete, and a local seal of the same id replaces it.
 */
final class BlockDirectory {
    private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{40}");
    private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
    private static final String BITMAP_SUFFIX = ".bitmap";

    private final Path root;

    BlockDirectory(Path root) {
        this.root = root;
    }

    Path pathOf(String contentId) {
        if (contentId == null || !HEX_ID.matcher(contentId).matches()) {
            throw new IllegalArgumentException("content id must be 40 lowercase hex digits: " + contentId);
        }
        return root.resolve(contentId.substring(0, 2)).resolve(contentId);
    }

    boolean hasComplete(String contentId) {
        Path file = pathOf(contentId);
        return Files.isRegularFile(file) && !Files.exists(bitmapOf(file));
    }

    /** @throws NoSuchFileException if the content is not stored complete */
    Path completePath(String contentId) throws NoSuchFileException {
        if (!hasComplete(contentId)) {
            throw new NoSuchFileException(pathOf(contentId).toString(), null, "content not stored here");
        }
        return pathOf(contentId);
    }

    void force(String contentId) throws IOException {
        Path file = completePath(contentId);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
        fsyncDirectory(file.getParent());
        fsyncDirectory(root);
    }

    /**
     * Moves a finished temp file in under {@code contentId}, or deletes it when that content is
     * already here (equal bytes are stored once). Returns whether the file was moved in.
     */
    boolean install(Path temp, String contentId, boolean sync) throws IOException {
        Path target = pathOf(contentId);
        if (hasComplete(contentId)) {
            // needed again: a fresh change time keeps the garbage collector's retention window off it
            // until the record that names it is written
            Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
            Files.deleteIfExists(temp);
            return false;
        }
        Files.setPosixFilePermissions(temp, READ_ONLY);
        Path shard = target.getParent();
        boolean newShard = !Files.isDirectory(shard);
        Files.createDirectories(shard);
        // rename(2) is atomic and replaces a partially fetched copy, so readers see old or new, never half.
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(bitmapOf(target));
        // to survive a crash of the machine, not only of the process, the directory entries must reach the disk
        if (sync) {
            if (newShard) {
                fsyncDirectory(root);
            }
            fsyncDirectory(shard);
        }
        return true;
    }

    /** Complete content ids with the time each was last installed or reused (the file's ctime). */
    Map<String, Instant> stored() throws IOException {
        return list(true);
    }

    /** Content ids being fetched (a bitmap beside them), with the time a piece last arrived (its mtime). */
    Map<String, Instant> partial() throws IOException {
        return list(false);
    }

    private Map<String, Instant> list(boolean complete) throws IOException {
        Map<String, Instant> result = new HashMap<>();
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root)) {
            for (Path shard : shards) {
                if (!Files.isDirectory(shard)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        String name = file.getFileName().toString();
                        if (!HEX_ID.matcher(name).matches()) {
                            continue;
                        }
                        Path bitmap = bitmapOf(file);
                        try {
                            if (complete && !Files.exists(bitmap)) {
                                FileTime ctime = (FileTime) Files.getAttribute(file, "unix:ctime");
                                result.put(name, ctime.toInstant());
                            } else if (!complete && Files.exists(bitmap)) {
                                result.put(name, Files.getLastModifiedTime(bitmap).toInstant());
                            }
                        } catch (NoSuchFileException e) {
                            // deleted, or completed, while we listed
                        }
                    }
                }
            }
        }
        return result;
    }

    boolean delete(String contentId) throws IOException {
        Path file = pathOf(contentId);
        Files.deleteIfExists(bitmapOf(file));
        return Files.deleteIfExists(file);
    }

    long storedBytes() throws IOException {
        return sizeOfTree(root);
    }

    /** Apparent bytes of the regular files under {@code dir}. */
    static long sizeOfTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.mapToLong(BlockDirectory::sizeOfFile).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static long sizeOfFile(Path path) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isRegularFile() ? attributes.size() : 0;
        } catch (NoSuchFileException e) {
            return 0; // removed while we walked: no longer stored
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes a fetched copy complete: read-only like a sealed one, then without its bitmap, so it turns
     * complete only once its data is on the device (a crash must not leave a complete-looking hole).
     */
    void completeFetched(String contentId) throws IOException {
        Path file = pathOf(contentId);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
        Files.setPosixFilePermissions(file, READ_ONLY);
        Files.deleteIfExists(bitmapOf(file));
        fsyncDirectory(file.getParent());
    }

    /**
     * Turns complete content back into content being fetched, with only {@code intact} pieces marked: the
     * bitmap goes beside the file first (from then on the content is not complete), then the file is made
     * writable for the fetch of the others.
     */
    void reopenDamaged(String contentId, BitSet intact, int pieceCount) throws IOException {
        Path file = completePath(contentId);
        byte[] bits = new byte[(pieceCount + 7) / 8];
        for (int piece = intact.nextSetBit(0); piece >= 0 && piece < pieceCount; piece = intact.nextSetBit(piece + 1)) {
            bits[piece / 8] |= (byte) (0x80 >>> (piece % 8));
        }
        Path bitmap = bitmapOf(file);
        Path temp = bitmap.resolveSibling(bitmap.getFileName() + ".tmp");
        Files.write(temp, bits);
        Files.move(temp, bitmap, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(file.getParent());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    static Path bitmapOf(Path file) {
        return file.resolveSibling(file.getFileName() + BITMAP_SUFFIX);
    }

    private static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
