package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The repository of a node joining an existing volume: a fresh bare repo whose {@code main} is a member's
 * head, fetched, and checked to be a DelugeFS volume before anything points at it.
 */
final class VolumeClone {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeClone.class);
    private static final int DELETE_ATTEMPTS = 5;

    private VolumeClone() {
    }

    /** Leaves nothing behind when it fails, so that the join can simply be tried again. */
    static ObjectId make(Path gitDir, Path journalDir, Fetch fetch) throws IOException {
        if (Files.exists(gitDir)) {
            throw new IOException("refusing to join a volume in " + gitDir.getParent() + ": " + gitDir
                    + " already exists");
        }
        if (!Journal.segmentNumbers(journalDir).isEmpty()) {
            throw new IOException("refusing to join a volume in " + gitDir.getParent() + ": " + journalDir
                    + " holds journal segments of an earlier volume");
        }
        long start = System.nanoTime();
        boolean done = false;
        try (MetaRepo repo = MetaRepo.initEmpty(gitDir)) {
            ObjectId theirs = repo.withPacks(fetch::into);
            if (theirs == null) {
                throw new IOException("the fetch from the member brought no commit");
            }
            check(repo, theirs);
            repo.moveMain(null, theirs);
            done = true;
            LOG.info("cloned volume at {} into {} in {} ms", theirs.name(), gitDir,
                    (System.nanoTime() - start) / 1_000_000);
            return theirs;
        } finally {
            if (!done) {
                deleteTree(gitDir);
            }
        }
    }

    /** A volume's history starts at the shared genesis commit and its head names the volume. */
    private static void check(MetaRepo repo, ObjectId head) throws IOException {
        if (!repo.contains(head, MetaRepo.GENESIS)) {
            throw new IOException("not a DelugeFS volume: the history of " + head.name()
                    + " does not start at the genesis commit");
        }
        repo.read(head);
    }

    /**
     * A fetch function of the caller's may have started JGit work of its own (e.g. the auto-gc check that
     * Git.fetch() runs in the background), so files may come and go while we delete: missing ones are skipped
     * and the walk is tried again.
     */
    private static void deleteTree(Path dir) {
        IOException last = null;
        for (int attempt = 0; attempt < DELETE_ATTEMPTS && Files.exists(dir); attempt++) {
            try {
                Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        Files.deleteIfExists(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        if (e instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                        Files.deleteIfExists(d);
                        return FileVisitResult.CONTINUE;
                    }
                });
                return;
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (last != null && Files.exists(dir)) {
            LOG.warn("could not remove the half-made clone {}; remove it before joining again", dir, last);
        }
    }
}
