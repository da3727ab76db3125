package dev.delugefs.nativetests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A DelugeFS node run from the packaged distribution as a separate process, exactly as a user runs
 * it: {@code scripts/delugefs create|mount VOLUME --root ROOT MOUNTPOINT} in the foreground.
 *
 * <p>Each start writes its stdout and stderr to their own files in the sandbox, so a failure can
 * show what the node said. Cleanup lives in {@link #close()}, called by the owning {@link Sandbox}.
 */
final class NodeProcess implements AutoCloseable {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Sandbox sandbox;
    private final String volume;
    private final Path root;
    private final Path mountpoint;
    private Duration readyTimeout = READY_TIMEOUT;
    private Process process;
    private Path out;
    private Path log;
    private int starts;

    private NodeProcess(Sandbox sandbox, String volume, Path root, Path mountpoint) {
        this.sandbox = sandbox;
        this.volume = volume;
        this.root = root;
        this.mountpoint = mountpoint;
    }

    static NodeProcess configure(Sandbox sandbox, String volume, Path root, Path mountpoint) {
        NodeProcess n = new NodeProcess(sandbox, volume, root, mountpoint);
        sandbox.adopt(n);
        return n;
    }

    static Path home() {
        String h = System.getProperty("delugefs.home");
        if (h == null) {
            throw new AssertionError("system property delugefs.home is not set (native-tests/pom.xml sets it)");
        }
        return Path.of(h).toAbsolutePath().normalize();
    }

    static Path launcher() {
        return home().resolve("scripts/delugefs");
    }

    /** A short-lived CLI command (help, torrent, unmount, create --no-start ...). */
    static Cmd cli(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher().toString());
        cmd.addAll(List.of(args));
        return Cmd.of(cmd);
    }

    String volume() {
        return volume;
    }

    Path root() {
        return root;
    }

    Path mountpoint() {
        return mountpoint;
    }

    /** A path inside the mounted volume. */
    Path p(String relative) {
        return mountpoint.resolve(relative);
    }

    NodeProcess readyTimeout(Duration t) {
        this.readyTimeout = t;
        return this;
    }

    boolean running() {
        return process != null && process.isAlive();
    }

    /** {@code delugefs create VOLUME --root ROOT MOUNTPOINT extra...}, then waits until mounted. */
    void create(String... extra) {
        List<String> args = new ArrayList<>(
                List.of("create", volume, "--root", root.toString(), mountpoint.toString()));
        args.addAll(List.of(extra));
        start(args);
    }

    /** {@code delugefs mount VOLUME --root ROOT MOUNTPOINT extra...}, then waits until mounted. */
    void mount(String... extra) {
        List<String> args = new ArrayList<>(List.of("mount", volume, "--root", root.toString(), mountpoint.toString()));
        args.addAll(List.of(extra));
        start(args);
    }

    /**
     * The join token {@code create} prints as its last line, once it is there: it follows the "mounted at"
     * line the start waited for, and may not be written yet when that one is read.
     */
    String joinToken() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            List<String> lines = stdout().strip().lines().toList();
            if (!lines.isEmpty() && lines.get(lines.size() - 1).startsWith("dfs1-")) {
                return lines.get(lines.size() - 1);
            }
            if (System.nanoTime() > deadline || !running()) {
                throw new AssertionError("no join token on stdout" + logTail());
            }
            sleep(50);
        }
    }

    /** The node's log (stderr) so far. */
    String stderr() {
        try {
            return log == null ? "" : java.nio.file.Files.readString(log);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What the node printed on stdout so far (its ready line, a join token...). */
    String stdout() {
        try {
            return out == null ? "" : java.nio.file.Files.readString(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Stops if running (SIGTERM), then mounts the same root again. */
    void restart() {
        if (running()) {
            stop();
        }
        mount();
    }

    /** SIGTERM, as systemd or Ctrl-C would: the node must commit, unmount and exit 0. */
    void stop() {
        requireRunning();
        ProcessHandle jvm = Processes.nodeJvm(process.toHandle());
        jvm.destroy();
        awaitCleanExit("SIGTERM", jvm);
    }

    /** {@code delugefs unmount MOUNTPOINT}: the node process must then finish by itself with 0. */
    void unmountViaCli() {
        requireRunning();
        ProcessHandle jvm = Processes.nodeJvm(process.toHandle());
        Cmd.Result r = cli("unmount", mountpoint.toString()).timeout(STOP_TIMEOUT).run();
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("delugefs unmount: expected exit 0") + logTail());
        }
        awaitCleanExit("delugefs unmount", jvm);
    }

    /**
     * A crash: SIGKILL to the whole tree. The kernel keeps a dead mount (ENOTCONN) after its daemon
     * dies, which an admin detaches with fusermount -u before restarting; so do we.
     */
    void kill9() {
        requireRunning();
        Processes.killTree(process.toHandle());
        if (Processes.isMounted(mountpoint)) {
            Processes.lazyUnmount(mountpoint);
        }
        if (Processes.isMounted(mountpoint)) {
            throw new AssertionError("dead mount at " + mountpoint + " could not be detached");
        }
    }

    /** What the node printed so far: all of stdout, the end of stderr. */
    String logTail() {
        StringBuilder b = new StringBuilder("\n--- node stdout (").append(out).append(") ---\n");
        b.append(readTail(out, 2000));
        b.append("\n--- node stderr (").append(log).append(") ---\n");
        b.append(readTail(log, 6000));
        return b.toString();
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            Processes.killTree(process.toHandle());
        }
        if (Processes.isMounted(mountpoint)) {
            Processes.lazyUnmount(mountpoint);
        }
    }

    private void start(List<String> args) {
        if (running()) {
            throw new AssertionError("node " + volume + " is already running");
        }
        starts++;
        // one sandbox may run several nodes of one volume: the root names the node
        String name = "node-" + volume + "-" + root.getFileName() + "-" + starts;
        out = sandbox.dir().resolve(name + ".out");
        log = sandbox.dir().resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher().toString());
        cmd.addAll(args);
        try {
            process = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd, e);
        }
        awaitReady(cmd);
    }

    private void awaitReady(List<String> cmd) {
        String readyLine = "delugefs: " + volume + " mounted at " + mountpoint;
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("node exited with " + process.exitValue() + " before mounting: " + cmd
                        + logTail());
            }
            String type = Processes.mountType(mountpoint);
            boolean printed = readTail(out, Integer.MAX_VALUE).lines().anyMatch(readyLine::equals);
            if ("fuse.delugefs".equals(type) && printed) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String why = "mount type " + type + ", ready line " + (printed ? "printed" : "not printed")
                        + " (expected \"" + readyLine + "\")";
                close();
                throw new AssertionError("node not ready after " + readyTimeout.toSeconds() + " s: " + why
                        + ": " + cmd + logTail());
            }
            sleep(50);
        }
    }

    private void awaitCleanExit(String how, ProcessHandle jvm) {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new AssertionError("node still running " + STOP_TIMEOUT.toSeconds() + " s after " + how
                        + logTail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        int code = process.exitValue();
        // a launcher that runs java as a child and dies first would leave the node behind
        boolean orphan = jvm.isAlive();
        if (orphan) {
            jvm.destroyForcibly();
        }
        boolean mounted = Processes.isMounted(mountpoint);
        if (code != 0 || mounted || orphan) {
            close();
            throw new AssertionError("after " + how + ": expected exit 0 and no mount, got exit " + code
                    + (mounted ? ", still mounted" : "")
                    + (orphan ? ", the node JVM (pid " + jvm.pid() + ") outlived the launcher" : "") + logTail());
        }
    }

    private void requireRunning() {
        if (!running()) {
            throw new AssertionError("node " + volume + " is not running" + (process == null ? "" : logTail()));
        }
    }

    private static String readTail(Path file, int max) {
        if (file == null || !Files.exists(file)) {
            return "";
        }
        try {
            String s = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            return s.length() <= max ? s : "..." + s.substring(s.length() - max);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
