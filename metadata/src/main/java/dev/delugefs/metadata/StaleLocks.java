package dev.delugefs.metadata;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a killed node leaves in its repository: the lock files of a ref update or a gc it was in the middle
 * of (a stale refs/heads/main.lock refuses every later commit with LOCK_FAILURE) and half-written packs.
 * Only the process holding the store's lock may call this: then no live writer can own them.
 */
final class StaleLocks {
    private static final Logger LOG = LoggerFactory.getLogger(StaleLocks.class);

    private StaleLocks() {
    }

    static void clear(Path gitDir) throws IOException {
        List<Path> stale;
        try (Stream<Path> files = Files.walk(gitDir)) {
            stale = files.filter(Files::isRegularFile).filter(StaleLocks::isLeftover).toList();
        }
        for (Path file : stale) {
            Files.deleteIfExists(file);
            LOG.warn("removed {} left by a node that stopped in the middle of a commit", gitDir.relativize(file));
        }
    }

    private static boolean isLeftover(Path file) {
        String name = file.getFileName().toString();
        // JGit's PackInserter writes objects/insert_*.pack (and .idx) before renaming it into objects/pack; a
        // fetch writes objects/incoming_*.pack the same way
        return name.endsWith(".lock") || ((name.startsWith("insert_") || name.startsWith("incoming_"))
                && (name.endsWith(".pack") || name.endsWith(".idx")));
    }
}
