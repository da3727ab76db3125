package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * n nodes of one volume on loopback, each a separate process, no mDNS, as users set them up: the first made
 * with {@code create} and no --peer, the others with {@code mount --join} and {@code --peer} naming the first
 * node only. Every node must learn the others from the volume and from the sessions it accepts; start() waits
 * until each sees all the others up. The sandbox stops them.
 */
final class LoopbackCluster {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<NodeProcess> nodes = new ArrayList<>();
    private final List<List<String>> args = new ArrayList<>();

    private LoopbackCluster() {
    }

    /** Starts the nodes and waits until each sees all others up; {@code createArgs} go to the first only. */
    static LoopbackCluster start(Sandbox sandbox, int n, String... createArgs) throws IOException {
        return start(sandbox, n, List.of(createArgs), List.of());
    }

    /** As above, and {@code everyNode} given to every node at every start. */
    static LoopbackCluster start(Sandbox sandbox, int n, List<String> createArgs, List<String> everyNode)
            throws IOException {
        return start(sandbox, n, createArgs, everyNode, java.util.Map.of());
    }

    /** As above, and {@code perNode} flags for the nodes they are given for (by index). */
    static LoopbackCluster start(Sandbox sandbox, int n, List<String> createArgs, List<String> everyNode,
                                 java.util.Map<Integer, List<String>> perNode) throws IOException {
        LoopbackCluster cluster = new LoopbackCluster();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ports.add(freePort());
        }
        String token = null;
        for (int i = 0; i < n; i++) {
            char name = (char) ('a' + i);
            List<String> nodeArgs = new ArrayList<>(List.of("--listen", "127.0.0.1:" + ports.get(i)));
            nodeArgs.addAll(everyNode);
            nodeArgs.addAll(perNode.getOrDefault(i, List.of()));
            if (i > 0) {
                nodeArgs.addAll(List.of("--peer", "127.0.0.1:" + ports.get(0)));
            }
            NodeProcess node;
            if (i == 0) {
                node = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-" + name), sandbox.path("mnt-" + name));
                List<String> create = new ArrayList<>(nodeArgs);
                create.addAll(createArgs);
                node.create(create.toArray(String[]::new));
                token = node.joinToken();
            } else {
                node = NodeProcess.configure(sandbox, "vol", sandbox.path("root-" + name), sandbox.path("mnt-" + name));
                List<String> join = new ArrayList<>(nodeArgs);
                join.addAll(List.of("--join", token));
                node.mount(join.toArray(String[]::new));
            }
            cluster.nodes.add(node);
            cluster.args.add(nodeArgs);
        }
        for (NodeProcess node : cluster.nodes) {
            eventually(node.root() + " sees all its peers", 30, () -> status(node).path("peers").size() == n - 1
                    && allUp(status(node)));
        }
        return cluster;
    }

    List<NodeProcess> nodes() {
        return nodes;
    }

    NodeProcess node(int i) {
        return nodes.get(i);
    }

    /** Starts a stopped or killed node again with the flags it had. */
    void restart(int i) {
        nodes.get(i).mount(args.get(i).toArray(String[]::new));
    }

    void stopAll() {
        for (NodeProcess node : nodes) {
            if (node.running()) {
                node.stop();
            }
        }
    }

    /** {@code delugefs status --root R --json} of a running node. */
    static JsonNode status(NodeProcess node) {
        Cmd.Result r = NodeProcess.cli("status", "--root", node.root().toString(), "--json").run();
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("delugefs status") + node.logTail());
        }
        try {
            return JSON.readTree(r.stdoutBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean allUp(JsonNode status) {
        for (JsonNode peer : status.path("peers")) {
            if (!peer.path("up").asBoolean()) {
                return false;
            }
        }
        return true;
    }

    /** A control command on a running node's channel, sent with stock ssh and the node's own key. */
    static Cmd.Result ask(NodeProcess node, String command, byte[] stdin) {
        String key = node.root().resolve("keys/id_ed25519").toString();
        return Cmd.of("ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", channelPort(node), "member@127.0.0.1", command)
                .stdin(stdin).run();
    }

    /** The node id in a node's {@code node.json}. */
    static String nodeId(NodeProcess node) {
        try {
            return JSON.readTree(node.root().resolve("node.json").toFile()).path("nodeId").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The content ids a running node holds complete, asked with stock ssh and the node's own key. */
    static Set<String> inventory(NodeProcess node) {
        Cmd.Result r = ask(node, "inventory", new byte[0]);
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("inventory"));
        }
        String out = r.out();
        Set<String> ids = new HashSet<>();
        try {
            JSON.readTree(out).forEach(entry -> ids.add(entry.path("id").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    private static String channelPort(NodeProcess node) {
        try {
            String listen = JSON.readTree(node.root().resolve("channel.json").toFile()).path("listen").asText();
            return listen.substring(listen.lastIndexOf(':') + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The content id of a file, from the .torrent the CLI exports (its info-hash). */
    static String contentId(NodeProcess node, String path) {
        try {
            Path file = Files.createTempFile("cluster-", ".torrent");
            try {
                Files.write(file, NodeProcess.cli("torrent", node.p(path).toString()).ok().stdoutBytes());
                return Py.run("import libtorrent as lt\nprint(lt.torrent_info(p[0].decode()).info_hash())",
                        Py.bytes(file)).out().strip();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void eventually(String what, int seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + seconds + " s").isLessThan(deadline);
            NodeProcess.sleep(200);
        }
    }
}
