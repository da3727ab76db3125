package dev.delugefs.nativetests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A DelugeFS node run from the packaged distribution inside one node namespace of a {@link NetnsLan}, as a
 * user runs it on a machine of that LAN: {@code scripts/delugefs create|mount vol --root ROOT MNT --listen
 * ADDRESS:7000}, with mDNS on that address ({@code DELUGEFS_MDNS=on --bind ADDRESS}) or off ({@code --no-mdns}).
 *
 * <p>{@code ip netns exec} gives the node a mount namespace of its own, so its FUSE mount is not visible to
 * the test JVM: commands on the mount run in the node's mount namespace through {@code nsenter -t PID -m}, and
 * the mount disappears with the node. Commands to the node itself (its {@code status}, {@code inventory}) run
 * with stock ssh and the node's own key inside its network namespace. Each start writes its stdout and stderr
 * to files of its own in the sandbox.
 */
final class NetnsNode implements AutoCloseable {
    static final int CHANNEL_PORT = 7000;
    static final String VOLUME = "vol";
    /** The node's switch for mDNS (NodeOptions.MDNS_ENV); surefire sets it to off for every other test. */
    private static final String MDNS_ENV = "DELUGEFS_MDNS";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<NetnsNode> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        // a fork surefire gives up on must not leave nodes running in namespaces nobody deletes
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(NetnsNode::close), "netns-nodes"));
    }

    private final Sandbox sandbox;
    private final NetnsLan lan;
    private final int index;
    private final boolean mdns;
    private final Path root;
    private final Path mountpoint;
    private Process process;
    private Path out;
    private Path err;
    private int starts;

    private NetnsNode(Sandbox sandbox, NetnsLan lan, int index, boolean mdns) {
        this.sandbox = sandbox;
        this.lan = lan;
        this.index = index;
        this.mdns = mdns;
        this.root = sandbox.path("root-" + index);
        this.mountpoint = sandbox.path("mnt-" + index);
    }

    /** Node {@code index} of the LAN (from 1), with fresh root and mountpoint paths; nothing started yet. */
    static NetnsNode configure(Sandbox sandbox, NetnsLan lan, int index, boolean mdns) {
        return new NetnsNode(sandbox, lan, index, mdns);
    }

    int index() {
        return index;
    }

    Path root() {
        return root;
    }

    Path mountpoint() {
        return mountpoint;
    }

    String address() {
        return lan.address(index);
    }

    /** The channel's address, which --peer names. */
    String channel() {
        return address() + ":" + CHANNEL_PORT;
    }

    boolean running() {
        return process != null && process.isAlive();
    }

    /** {@code create vol --root ROOT MNT} with the network flags and {@code extra}; waits until mounted. */
    void create(List<String> extra) {
        List<String> args = new ArrayList<>(List.of("create", VOLUME, "--root", root.toString(), mountpoint.toString()));
        args.addAll(networkArgs());
        args.addAll(extra);
        start(args);
        awaitReady();
    }

    /** {@code mount vol --root ROOT MNT} with the network flags and {@code extra}; does not wait. */
    void startMount(List<String> extra) {
        List<String> args = new ArrayList<>(List.of("mount", VOLUME, "--root", root.toString(), mountpoint.toString()));
        args.addAll(networkArgs());
        args.addAll(extra);
        start(args);
    }

    /** {@link #startMount}, then waits until mounted. */
    void mount(List<String> extra) {
        startMount(extra);
        awaitReady();
    }

    /** The channel on this node's LAN address and the port every node of these tests uses; mDNS on it, or none. */
    private List<String> networkArgs() {
        List<String> args = new ArrayList<>(List.of("--listen", channel()));
        if (mdns) {
            args.addAll(List.of("--bind", address()));
        } else {
            args.add("--no-mdns");
        }
        return args;
    }

    private void start(List<String> args) {
        if (running()) {
            throw new AssertionError("node " + index + " is already running");
        }
        starts++;
        String name = "node" + index + "-start" + starts;
        out = sandbox.dir().resolve(name + ".out");
        err = sandbox.dir().resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(NodeProcess.launcher().toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(lan.inNamespace(index, command))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put(MDNS_ENV, mdns ? "on" : "off");
        // C1 only: a third less CPU to start, on a 2-core machine that starts three nodes at once; nothing these
        // tests measure needs C2's peak speed
        pb.environment().put("DELUGEFS_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + command, e);
        }
        RUNNING.add(this);
    }

    /** Until the node printed its ready line and its mount namespace has the FUSE mount. */
    void awaitReady() {
        String readyLine = "delugefs: " + VOLUME + " mounted at " + mountpoint;
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("node " + index + " exited with " + process.exitValue() + " before mounting"
                        + logTail(4000));
            }
            boolean printed = read(out).lines().anyMatch(readyLine::equals);
            if (printed && "fuse.delugefs".equals(Processes.mountType(process.pid(), mountpoint))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node " + index + " not mounted after " + READY_TIMEOUT.toSeconds() + " s"
                        + logTail(4000));
            }
            NodeProcess.sleep(50);
        }
    }

    /** The join token {@code create} prints as its last line (it may follow the ready line a moment later). */
    String joinToken() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<String> lines = read(out).strip().lines().toList();
            if (!lines.isEmpty() && lines.get(lines.size() - 1).startsWith("dfs1-")) {
                return lines.get(lines.size() - 1);
            }
            if (System.nanoTime() > deadline || !running()) {
                throw new AssertionError("node " + index + " printed no join token" + logTail(4000));
            }
            NodeProcess.sleep(50);
        }
    }

    /** SIGTERM, as Ctrl-C or systemd would: the node must unmount, commit and exit 0. */
    void stop() {
        if (!running()) {
            throw new AssertionError("node " + index + " is not running" + logTail(4000));
        }
        ProcessHandle jvm = Processes.nodeJvm(process.toHandle());
        jvm.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                Processes.killTree(process.toHandle());
                throw new AssertionError("node " + index + " still running " + STOP_TIMEOUT.toSeconds()
                        + " s after SIGTERM" + logTail(4000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        RUNNING.remove(this);
        if (process.exitValue() != 0) {
            throw new AssertionError("node " + index + " exited with " + process.exitValue() + " after SIGTERM"
                    + logTail(4000));
        }
    }

    /** Sends SIGTERM without waiting, so that several nodes stop at once; {@link #close} then waits. */
    void terminate() {
        if (running()) {
            Processes.nodeJvm(process.toHandle()).destroy();
        }
    }

    /** Stops the node whatever its state: SIGTERM, then SIGKILL to the tree after 20 s. Never throws. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            Processes.nodeJvm(process.toHandle()).destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    Processes.killTree(process.toHandle());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Processes.killTree(process.toHandle());
            }
        }
        RUNNING.remove(this);
    }

    /** A POSIX shell script run in the node's mount namespace with umask 022; {@code $1...} are {@code args}. */
    Cmd sh(String script, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "umask 022\n" + script, "sh"));
        command.addAll(List.of(args));
        return inMount(command);
    }

    /** Python (see {@link Py}) run in the node's mount namespace. */
    Cmd py(String code, byte[]... args) {
        return inMount(Py.command(code, args));
    }

    private Cmd inMount(List<String> command) {
        if (!running()) {
            throw new AssertionError("node " + index + " is not running" + logTail(4000));
        }
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(process.pid()), "-m", "--"));
        cmd.addAll(command);
        return Cmd.of(cmd);
    }

    /** A command on the node's channel, with stock ssh and the node's own key, from inside its namespace. */
    Cmd.Result ask(String command) {
        String key = root.resolve("keys/id_ed25519").toString();
        return Cmd.of(lan.inNamespace(index, List.of("ssh", "-i", key, "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                        "-o", "ConnectTimeout=5", "-p", String.valueOf(CHANNEL_PORT), "member@" + address(), command)))
                .timeout(Duration.ofSeconds(20)).run();
    }

    /** The node's {@code status} (what {@code delugefs status --json} prints). */
    JsonNode status() {
        Cmd.Result r = ask("status");
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("status of node " + index));
        }
        return parse(r.stdoutBytes());
    }

    /** The contents the node holds complete: {@code [{"id", "length", "recent"}...]}. */
    JsonNode inventory() {
        Cmd.Result r = ask("inventory");
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("inventory of node " + index));
        }
        return parse(r.stdoutBytes());
    }

    /** The node id in the root's {@code node.json}. */
    String nodeId() {
        return parse(readBytes(root.resolve("node.json"))).path("nodeId").asText();
    }

    /** The end of what the node printed in its latest start: stdout, then stderr. */
    String logTail(int max) {
        return "\n--- node " + index + " stdout (" + out + ") ---\n" + tail(read(out), 1000)
                + "\n--- node " + index + " stderr (" + err + ") ---\n" + tail(read(err), max);
    }

    @Override
    public String toString() {
        return "node " + index + " (" + address() + ")";
    }

    private static JsonNode parse(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return file != null && Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }
}
