package dev.delugefs.nativetests;

import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three nodes in three network namespaces on one bridge find each other by mDNS alone (no static peers),
 * see each other's TXT changes, notice a killed node through the hello probe, and a stock avahi-browse in
 * one namespace lists their services.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MdnsNamespaceNativeTest {
    private static final int NODES = 3;
    private static final long PROBE_MILLIS = 1000;

    private Sandbox sandbox;
    private NetnsLan lan;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Path> daemonPidFiles = new ArrayList<>();
    private boolean passed;
    private String volumeId;
    private String volumeName;

    /** One MdnsNode process and every line it printed, with when it arrived. */
    private record Line(long nanos, String text) {
    }

    private static final class Node {
        final String id;
        final Process process;
        final List<Line> lines = new CopyOnWriteArrayList<>();

        Node(String id, Process process) {
            this.id = id;
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(new Line(System.nanoTime(), line));
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "mdns-node-out-" + id.substring(0, 8));
            reader.setDaemon(true);
            reader.start();
        }

        void send(String command) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        /** When the first line matching came, waiting for it until the deadline; -1 if it never did. */
        long await(Predicate<String> match, long deadlineNanos) throws InterruptedException {
            while (true) {
                for (Line line : lines) {
                    if (match.test(line.text())) {
                        return line.nanos();
                    }
                }
                if (System.nanoTime() > deadlineNanos || !process.isAlive()) {
                    return -1;
                }
                Thread.sleep(20);
            }
        }

        String transcript() {
            StringBuilder out = new StringBuilder();
            lines.forEach(l -> out.append("  ").append(l.text()).append('\n'));
            return out.toString();
        }
    }

    @AfterEach
    void tearDown() {
        for (Node node : nodes) {
            Processes.killTree(node.process.toHandle());
        }
        for (Path pidFile : daemonPidFiles) {
            killDaemon(pidFile);
        }
        if (!passed && sandbox != null) {
            for (int i = 1; i <= nodes.size(); i++) {
                System.out.println("log of node " + i + ":\n" + readIfThere(sandbox.dir().resolve("node" + i + ".log")));
            }
        }
        if (lan != null) {
            lan.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void nodesFindEachOtherByMdnsAloneAndAvahiSeesThem() throws Exception {
        String why = NetnsLan.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        sandbox = Sandbox.create("mdns-netns");
        lan = NetnsLan.create(NODES);
        volumeId = NodeIdentity.randomId();
        volumeName = "vol" + volumeId.substring(0, 6);

        long started = System.nanoTime();
        startNodes();
        everyoneSeesTheOthers(started);
        aHeadChangeReachesTheOthers();
        avahiBrowseListsEveryNode();
        for (Node node : nodes) {
            assertThat(node.lines).as("no peer flapped while all were up").noneMatch(l -> l.text().startsWith("DOWN"));
        }
        aKilledNodeIsMarkedDown();
        passed = true;
    }

    private void startNodes() throws IOException {
        List<String> ids = new ArrayList<>();
        List<Path> roots = new ArrayList<>();
        StringBuilder members = new StringBuilder();
        for (int i = 1; i <= NODES; i++) {
            String id = NodeIdentity.randomId();
            Path root = sandbox.newDir("node" + i);
            members.append(NodeKeys.loadOrCreate(root, id).publicKeyOpenSsh()).append('\n');
            ids.add(id);
            roots.add(root);
        }
        Path membersFile = Files.writeString(sandbox.dir().resolve("members"), members);
        Path logConfig = writeLogConfig();
        for (int i = 1; i <= NODES; i++) {
            nodes.add(startNode(i, ids.get(i - 1), roots.get(i - 1), membersFile, logConfig));
        }
    }

    private void everyoneSeesTheOthers(long started) throws InterruptedException {
        long deadline = started + Duration.ofSeconds(30).toNanos();
        long lastSeen = 0;
        for (Node node : nodes) {
            for (int j = 1; j <= NODES; j++) {
                Node other = nodes.get(j - 1);
                if (other == node) {
                    continue;
                }
                String announced = "UP " + other.id + " h0 " + lan.address(j) + ":";
                long at = node.await(l -> l.startsWith(announced) && l.endsWith(" 6881 host-" + other.id + " 1000000"),
                        deadline);
                assertThat(at).as("node %s sees %s; it printed:\n%s", node.id, other.id, node.transcript())
                        .isPositive();
                lastSeen = Math.max(lastSeen, at);
            }
            assertThat(node.lines).as("a node ignores itself").noneMatch(l -> l.text().startsWith("UP " + node.id));
        }
        long lastReady = 0;
        for (Node node : nodes) {
            lastReady = Math.max(lastReady, awaitOrFail(node, l -> l.startsWith("READY")));
        }
        System.out.printf("3 nodes all see each other %d ms after launch, %d ms after the last was ready%n",
                millis(lastSeen - started), millis(lastSeen - lastReady));
        assertThat(millis(lastSeen - lastReady)).as("discovery after the last node was ready").isLessThan(10_000);
    }

    private void aHeadChangeReachesTheOthers() throws Exception {
        Node changing = nodes.get(0);
        long sent = System.nanoTime();
        changing.send("head h1");
        for (Node node : nodes.subList(1, NODES)) {
            long at = node.await(l -> l.startsWith("CHANGED " + changing.id + " h1 "),
                    sent + Duration.ofSeconds(5).toNanos());
            assertThat(at).as("node %s sees the new head; it printed:\n%s", node.id, node.transcript()).isPositive();
            System.out.printf("TXT head change seen by %s after %d ms%n", node.id.substring(0, 8), millis(at - sent));
        }
    }

    private void avahiBrowseListsEveryNode() throws IOException {
        String browse = avahiBrowse(1);
        for (Node node : nodes) {
            assertThat(browse).as("avahi-browse output").contains(volumeName + "-" + node.id.substring(0, 8));
        }
        assertThat(browse).contains("\"volume=" + volumeId + "\"").contains("\"v=1\"");
    }

    /** Through the hello probe: mDNS would keep listing a kill -9'd node until its records' TTL. */
    private void aKilledNodeIsMarkedDown() throws InterruptedException {
        Node victim = nodes.get(NODES - 1);
        long killed = System.nanoTime();
        Processes.killTree(victim.process.toHandle());
        for (Node node : nodes.subList(0, NODES - 1)) {
            long at = node.await(l -> l.startsWith("DOWN " + victim.id), killed + Duration.ofSeconds(10).toNanos());
            assertThat(at).as("node %s marks the killed node down; it printed:\n%s", node.id, node.transcript())
                    .isPositive();
            System.out.printf("killed node marked down by %s after %d ms%n", node.id.substring(0, 8),
                    millis(at - killed));
        }
    }

    private Node startNode(int i, String id, Path root, Path membersFile, Path logConfig) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = lan.inNamespace(i, List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Xmx128m", "-Dlogback.configurationFile=" + logConfig, "-cp", classpath,
                MdnsNode.class.getName(), id, volumeId, volumeName, lan.address(i), root.toString(),
                membersFile.toString(), Long.toString(PROBE_MILLIS)));
        Process process = new ProcessBuilder(command)
                .redirectError(sandbox.dir().resolve("node" + i + ".log").toFile())
                .start();
        return new Node(id, process);
    }

    private Path writeLogConfig() throws IOException {
        return Files.writeString(sandbox.dir().resolve("logback.xml"), """
                <configuration>
                  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.sshd" level="WARN"/>
                  <logger name="javax.jmdns" level="WARN"/>
                  <root level="INFO"><appender-ref ref="ERR"/></root>
                </configuration>
                """);
    }

    /**
     * avahi-daemon on a dbus-daemon of its own, inside node 1's namespace, never the host's: the tmpfs over
     * /run lives only in the mount namespace {@code ip netns exec} makes, and hides the host's sockets and
     * pid files from both daemons.
     */
    private String avahiBrowse(int node) throws IOException {
        Path dir = sandbox.newDir("avahi");
        Files.writeString(dir.resolve("dbus.conf"), """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <listen>unix:path=%s/bus</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow own="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                  </policy>
                </busconfig>
                """.formatted(dir));
        Files.writeString(dir.resolve("avahi.conf"), """
                [server]
                host-name=%s
                use-ipv4=yes
                use-ipv6=no
                allow-interfaces=eth0
                enable-dbus=yes
                [wide-area]
                enable-wide-area=no
                [publish]
                publish-addresses=no
                publish-hinfo=no
                publish-workstation=no
                """.formatted("avahi" + lan.namespace(node).replace("-", "")));
        daemonPidFiles.add(dir.resolve("dbus.pid"));
        daemonPidFiles.add(dir.resolve("avahi.pid"));
        String script = """
                D="$1"
                mount -t tmpfs tmpfs /run
                mkdir -p /run/avahi-daemon
                dbus-daemon --config-file="$D/dbus.conf" --fork --print-pid=3 3>"$D/dbus.pid"
                export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$D/bus"
                avahi-daemon -f "$D/avahi.conf" --no-drop-root --no-chroot --no-rlimits >"$D/avahi.log" 2>&1 &
                echo $! >"$D/avahi.pid"
                trap 'kill $(cat "$D/avahi.pid") $(cat "$D/dbus.pid") 2>/dev/null || true' EXIT
                out=""
                for i in $(seq 1 40); do
                  out=$(avahi-browse -rpt _delugefs._tcp 2>>"$D/browse.err" || true)
                  if [ "$(printf '%s\\n' "$out" | grep -c '^=;')" -ge 3 ]; then break; fi
                  sleep 0.5
                done
                printf '%s\\n' "$out"
                """;
        List<String> command = new ArrayList<>(lan.inNamespace(node,
                List.of("bash", "-c", "set -u\n" + script, "bash", dir.toString())));
        Cmd.Result result = Cmd.of(command).timeout(Duration.ofSeconds(40)).run();
        String out = result.out();
        System.out.println("avahi-browse -rpt _delugefs._tcp:\n" + out);
        if (!out.contains("=;")) {
            System.out.println("avahi log:\n" + readIfThere(dir.resolve("avahi.log"))
                    + "\nbrowse errors:\n" + readIfThere(dir.resolve("browse.err")) + "\nstderr: " + result.err());
        }
        return out;
    }

    private static String readIfThere(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + file.getFileName() + " missing)";
        }
    }

    /** Kills the daemon named in the pid file, but only if that pid still is one of the daemons we ran. */
    private static void killDaemon(Path pidFile) {
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid)
                    .filter(h -> h.info().command().map(c -> c.endsWith("avahi-daemon") || c.endsWith("dbus-daemon"))
                            .orElse(false))
                    .ifPresent(Processes::killTree);
        } catch (IOException | NumberFormatException e) {
            // nothing we can identify to kill
        }
    }

    private long awaitOrFail(Node node, Predicate<String> match) {
        try {
            long at = node.await(match, System.nanoTime() + Duration.ofSeconds(5).toNanos());
            assertThat(at).as("node %s printed:\n%s", node.id, node.transcript()).isPositive();
            return at;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
