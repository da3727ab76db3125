package dev.delugefs.nativetests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One test's private directory tree, with the nodes started in it.
 *
 * <p>close() always leaves the machine as it was: nodes killed, mounts below the sandbox detached,
 * files deleted. A shutdown hook does the same for sandboxes still open when the JVM exits, e.g.
 * when surefire gives up on a hung fork. Deletion never crosses into a mount that could not be
 * detached: deleting through a live DelugeFS would destroy its volume, and through a dead one hangs.
 */
final class Sandbox implements AutoCloseable {
    private static final Set<Sandbox> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(Sandbox::close), "sandbox-cleanup"));
    }

    private final Path dir;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private int counter;

    private Sandbox(Path dir) {
        this.dir = dir;
    }

    /** Temp dirs go to -Ddelugefs.test.dir if set (e.g. a bigger disk), else java.io.tmpdir. */
    static Sandbox create(String name) {
        Path base = Path.of(System.getProperty("delugefs.test.dir", System.getProperty("java.io.tmpdir")));
        try {
            Files.createDirectories(base);
            String safe = name.replaceAll("[^A-Za-z0-9_.-]", "_");
            Path dir = Files.createTempDirectory(base, "dfs-" + safe.substring(0, Math.min(40, safe.length())) + "-")
                    .toRealPath();
            Sandbox s = new Sandbox(dir);
            OPEN.add(s);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /** A fresh path in the sandbox that does not exist yet. */
    Path path(String name) {
        return dir.resolve(name + "-" + (++counter));
    }

    /** A fresh, existing, empty directory. */
    Path newDir(String name) {
        try {
            return Files.createDirectory(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void adopt(NodeProcess node) {
        nodes.add(node);
    }

    /** A node that is created (and started) in this sandbox with fresh root and mount point. */
    NodeProcess newVolume(String volume, String... extraArgs) {
        NodeProcess n = NodeProcess.configure(this, volume, newDir("root"), path("mnt"));
        n.create(extraArgs);
        return n;
    }

    @Override
    public synchronized void close() {
        if (!OPEN.remove(this)) {
            return;
        }
        for (NodeProcess n : nodes) {
            n.close();
        }
        for (Path m : Processes.mountsUnder(dir)) {
            Processes.lazyUnmount(m);
        }
        List<Path> stuck = Processes.mountsUnder(dir);
        if (!stuck.isEmpty()) {
            throw new AssertionError("could not unmount " + stuck + "; left " + dir + " in place");
        }
        deleteTree(dir);
    }

    /**
     * rm rather than Files.walkFileTree: names that are not valid in the JVM's charset (tests make
     * such names on purpose) cannot be turned into a Path, and --one-file-system refuses to cross
     * into a mount we failed to detach.
     */
    static void deleteTree(Path root) {
        Cmd.Result r = Cmd.of("rm", "-rf", "--one-file-system", root.toString()).run();
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("cannot delete " + root));
        }
    }
}
