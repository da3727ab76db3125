package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.delugefs.discovery.JoinToken;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Several nodes of one volume on loopback, each a separate process with its own root, ports and mount. */
class ClusterNativeTest {
    private Sandbox sandbox;

    @BeforeEach
    void sandbox(TestInfo info) {
        sandbox = Sandbox.create("Cluster-" + info.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void cleanup() {
        sandbox.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String modeOf(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            return "";
        }
    }

    private static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 20 s").isLessThan(deadline);
            NodeProcess.sleep(100);
        }
    }


    @Test
    void twoNodesShareOneTreeAndAStrangerGetsNothing() throws Exception {
        int portA = freePort();
        int portB = freePort();
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create("--listen", "127.0.0.1:" + portA, "--peer", "127.0.0.1:" + portB);
        String token = a.joinToken();
        assertThat(token).as("create's last line is the join token").startsWith("dfs1-");
        assertThat(NodeProcess.cli("token", "--root", a.root().toString()).ok().out().strip()).isEqualTo(token);

        NodeProcess b = NodeProcess.configure(sandbox, "vol", sandbox.path("root-b"), sandbox.path("mnt-b"));
        b.mount("--join", token, "--listen", "127.0.0.1:" + portB, "--peer", "127.0.0.1:" + portA);

        // A → B: names, sizes, modes, xattrs, directories, renames and deletes
        Files.createDirectories(a.p("dir/sub"));
        Data.write(a.p("dir/sub/file"), Data.random(1, 5000));
        Files.setPosixFilePermissions(a.p("dir/sub/file"), PosixFilePermissions.fromString("rw-r-----"));
        Cmd.of("setfattr", "-n", "user.color", "-v", "blue", a.p("dir/sub/file").toString()).ok();
        eventually("the file written on A shows on B", () -> Files.exists(b.p("dir/sub/file")));
        eventually("its size shows on B", () -> sizeOf(b.p("dir/sub/file")) == 5000);
        // the chmod and the xattr may come in a later commit than the bytes (a change after a quiet spell
        // is committed at once), so they too are waited for
        eventually("its mode shows on B", () -> "rw-r-----".equals(modeOf(b.p("dir/sub/file"))));
        eventually("its xattr shows on B", () -> "blue".equals(Cmd.of("getfattr", "--only-values", "-n",
                "user.color", b.p("dir/sub/file").toString()).run().out()));

        Files.move(a.p("dir/sub"), a.p("dir/moved"));
        eventually("a rename on A shows on B", () -> Files.exists(b.p("dir/moved/file")) && !Files.exists(b.p("dir/sub")));
        Files.delete(a.p("dir/moved/file"));
        eventually("a delete on A shows on B", () -> !Files.exists(b.p("dir/moved/file")));

        // B → A
        Files.createDirectory(b.p("from-b"));
        Data.write(b.p("from-b/note"), "hello from b".getBytes());
        eventually("a file written on B shows on A", () -> sizeOf(a.p("from-b/note")) == 12);
        // the bytes are on B only: reading them on A fetches them
        assertThat(Files.readString(a.p("from-b/note"))).isEqualTo("hello from b");

        // stock clients with a member's key: ssh runs the control commands, git clones the namespace
        Data.write(a.p("inventoried"), Data.random(9, 777));
        String key = b.root().resolve("keys/id_ed25519").toString();
        List<String> ssh = List.of("ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-p", String.valueOf(portA));
        List<String> inventory = new java.util.ArrayList<>(ssh);
        inventory.addAll(List.of("member@127.0.0.1", "inventory"));
        assertThat(Cmd.of(inventory).ok().out()).contains("\"length\":777");
        List<String> freespace = new java.util.ArrayList<>(ssh);
        freespace.addAll(List.of("member@127.0.0.1", "freespace"));
        assertThat(Cmd.of(freespace).ok().out()).contains("\"free\":");
        Path clone = sandbox.path("clone.git");
        Cmd.sh("GIT_SSH_COMMAND=\"ssh -i $1 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -p $2\" "
                + "git clone -q --bare ssh://member@127.0.0.1/meta.git \"$3\"", key, String.valueOf(portA), clone.toString()).ok();
        assertThat(Cmd.of("git", "--git-dir", clone.toString(), "ls-tree", "-r", "--name-only", "main").ok().out())
                .contains("volume.json", "ns/%dir", "ns/from-b/note");

        // a machine that was never let in: a well-formed token for this volume and member, with a guessed secret
        NodeProcess stranger = NodeProcess.configure(sandbox, "vol", sandbox.path("root-x"), sandbox.path("mnt-x"));
        JoinToken real = JoinToken.parse(token);
        String forged = JoinToken.issue(real.volumeId(), real.hostKeyFingerprint(), real.addresses()).encode();
        Cmd.Result refused = NodeProcess.cli("mount", "vol", "--root", stranger.root().toString(),
                stranger.mountpoint().toString(), "--join", forged).run();
        assertThat(refused.exit()).as(refused.describe("join with a forged token")).isNotZero();
        assertThat(Files.exists(stranger.root().resolve("meta.git"))).as("the stranger got no metadata").isFalse();

        a.stop();
        b.stop();
    }

    /** A node of a look-alike volume (same name, never joined) pointed at a member: both sides refuse. */
    @Test
    void aNodeThatWasNeverLetInReadsAndChangesNothing() throws Exception {
        int portA = freePort();
        int portS = freePort();
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create("--listen", "127.0.0.1:" + portA, "--peer", "127.0.0.1:" + portS);
        Data.write(a.p("private"), "for members only".getBytes());
        NodeProcess stranger = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-s"), sandbox.path("mnt-s"));
        stranger.create("--listen", "127.0.0.1:" + portS, "--peer", "127.0.0.1:" + portA);
        Data.write(stranger.p("intruder"), "let me in".getBytes());

        String fingerprint = Cmd.of("ssh-keygen", "-lf", stranger.root().resolve("keys/id_ed25519.pub").toString())
                .ok().out().split(" ")[1];
        eventually("the member logs the stranger's key, refused, with its fingerprint",
                () -> a.stderr().lines().anyMatch(l -> l.contains("refus") && l.contains(fingerprint)));
        NodeProcess.sleep(2000);
        assertThat(stranger.p("private")).doesNotExist();
        assertThat(a.p("intruder")).doesNotExist();
        assertThat(listing(a.mountpoint())).containsExactly("private 16");
        a.stop();
        stranger.stop();
    }

    /** A node started without a mountpoint (a second disk, say) stores the volume and mounts nothing. */
    @Test
    void aStorageOnlyNodeFollowsTheVolumeWithoutAMount() throws Exception {
        int portA = freePort();
        int portS = freePort();
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create("--listen", "127.0.0.1:" + portA, "--peer", "127.0.0.1:" + portS);
        Path rootS = sandbox.path("root-s");
        Path out = sandbox.dir().resolve("storage-only.out");
        Process s = new ProcessBuilder(NodeProcess.launcher().toString(), "mount", "vol", "--root", rootS.toString(),
                "--join", a.joinToken(), "--listen", "127.0.0.1:" + portS, "--peer", "127.0.0.1:" + portA)
                .redirectOutput(out.toFile())
                .redirectError(sandbox.dir().resolve("storage-only.err").toFile())
                .start();
        try {
            eventually("the storage-only node runs", () -> readQuietly(out).contains("serving from " + rootS));
            Data.write(a.p("kept-elsewhere"), Data.random(3, 10));
            eventually("its namespace follows the volume", () -> Cmd.of("git", "--git-dir",
                    rootS.resolve("meta.git").toString(), "ls-tree", "-r", "--name-only", "main").run().out()
                    .contains("ns/kept-elsewhere"));
            assertThat(Processes.mountType(rootS)).isNull();
        } finally {
            s.destroy();
            assertThat(s.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("storage-only node stops on SIGTERM").isTrue();
        }
        assertThat(s.exitValue()).isZero();
        a.stop();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void threeNodesSeeEachOthersChanges() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create(listenAndPeers(ports, 0));
        String token = a.joinToken();
        NodeProcess b = NodeProcess.configure(sandbox, "vol", sandbox.path("root-b"), sandbox.path("mnt-b"));
        b.mount(join(token, listenAndPeers(ports, 1)));
        NodeProcess c = NodeProcess.configure(sandbox, "vol", sandbox.path("root-c"), sandbox.path("mnt-c"));
        c.mount(join(token, listenAndPeers(ports, 2)));

        NodeProcess[] nodes = {a, b, c};
        for (int i = 0; i < 3; i++) {
            Files.createDirectories(nodes[i].p("by-" + i));
            Data.write(nodes[i].p("by-" + i + "/f"), Data.random(i, 1000 + i));
            Files.setPosixFilePermissions(nodes[i].p("by-" + i + "/f"), PosixFilePermissions.fromString("rwx------"));
        }
        for (NodeProcess n : nodes) {
            for (int i = 0; i < 3; i++) {
                int k = i;
                eventually(n.volume() + " sees by-" + i, () -> sizeOf(n.p("by-" + k + "/f")) == 1000 + k);
            }
        }
        assertThat(listing(a.mountpoint())).isEqualTo(listing(b.mountpoint())).isEqualTo(listing(c.mountpoint()));
        for (NodeProcess n : nodes) {
            n.stop();
        }
    }

    /**
     * The recipe for peers beyond the LAN: each joiner names the first node alone. `delugefs peers` then tells,
     * on every node, each other member up and how it was learned, and the root remembers the addresses.
     */
    @Test
    void joinersNamingTheFirstNodeAloneKnowEveryMemberAndPeersSaysHow() throws Exception {
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 3);
        NodeProcess c = cluster.node(2);
        String first = LoopbackCluster.status(cluster.node(0)).path("node").asText();
        String second = LoopbackCluster.status(cluster.node(1)).path("node").asText();

        Cmd.Result json = NodeProcess.cli("peers", "--root", c.root().toString(), "--json").run();
        assertThat(json.exit()).as(json.describe("peers --json")).isZero();
        com.fasterxml.jackson.databind.JsonNode peers = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(json.stdoutBytes()).path("peers");
        assertThat(peers).hasSize(2);
        for (com.fasterxml.jackson.databind.JsonNode peer : peers) {
            assertThat(peer.path("up").asBoolean()).as(peer.toString()).isTrue();
            List<String> by = new java.util.ArrayList<>();
            peer.path("learnedBy").forEach(n -> by.add(n.asText()));
            if (peer.path("node").asText().equals(first)) {
                assertThat(by).as("node 1, named by --peer").contains("peer");
            } else {
                assertThat(peer.path("node").asText()).isEqualTo(second);
                assertThat(by).as("node 2, never named to node 3").doesNotContain("peer").isNotEmpty();
                assertThat(peer.path("route").asText()).isIn("record", "inbound");
            }
        }
        Cmd.Result table = NodeProcess.cli("peers", "--root", c.root().toString()).run();
        assertThat(table.exit()).isZero();
        assertThat(table.out()).contains("LEARNED BY", first, second);
        assertThat(Files.readString(c.root().resolve("peers.json"))).contains(first, second);

        Cmd.Result stranger = NodeProcess.cli("peers", "--root", sandbox.newDir("not-a-root").toString()).run();
        assertThat(stranger.exit()).isEqualTo(1);
        assertThat(stranger.err()).contains("not a DelugeFS storage root");
        cluster.stopAll();
    }

    /** Both sides of a partition edit one file; after the link heals both versions exist, on every node. */
    @Test
    void concurrentEditsWhileCutOffKeepBothVersions() throws Exception {
        int portA = freePort();
        int portB = freePort();
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create("--listen", "127.0.0.1:" + portA, "--peer", "127.0.0.1:" + portB);
        NodeProcess b = NodeProcess.configure(sandbox, "vol", sandbox.path("root-b"), sandbox.path("mnt-b"));
        b.mount("--join", a.joinToken(), "--listen", "127.0.0.1:" + portB, "--peer", "127.0.0.1:" + portA);
        Data.write(a.p("shared"), "original".getBytes());
        eventually("B sees the shared file", () -> sizeOf(b.p("shared")) == 8);

        // cut the link: each node restarts knowing no peer
        a.stop();
        b.stop();
        a.mount();
        b.mount();
        Data.write(a.p("shared"), "edited on A".getBytes());
        NodeProcess.sleep(50);
        Data.write(b.p("shared"), "edited on B, longer".getBytes());
        Files.createDirectory(a.p("only-on-a"));

        // heal it
        a.stop();
        b.stop();
        a.mount("--peer", "127.0.0.1:" + portB);
        b.mount("--peer", "127.0.0.1:" + portA);
        eventually("A and B converge on one tree with a conflict copy", () -> {
            List<String> onA = listing(a.mountpoint());
            return onA.equals(listing(b.mountpoint())) && onA.stream().anyMatch(l -> l.contains(".conflict-"))
                    && onA.stream().anyMatch(l -> l.startsWith("only-on-a"));
        });
        List<String> tree = listing(a.mountpoint());
        assertThat(tree).as("both edits survive: one at the name, one as its conflict copy")
                .anyMatch(l -> l.startsWith("shared ") && (l.endsWith(" 11") || l.endsWith(" 19")))
                .anyMatch(l -> l.startsWith("shared.conflict-") && (l.endsWith(" 11") || l.endsWith(" 19")));
        long sizes = tree.stream().filter(l -> l.startsWith("shared")).map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .distinct().count();
        assertThat(sizes).as("the two versions are the two edits, not one twice").isEqualTo(2);
        a.stop();
        b.stop();
    }

    private static String[] listenAndPeers(int[] ports, int self) {
        List<String> args = new java.util.ArrayList<>(List.of("--listen", "127.0.0.1:" + ports[self]));
        for (int i = 0; i < ports.length; i++) {
            if (i != self) {
                args.add("--peer");
                args.add("127.0.0.1:" + ports[i]);
            }
        }
        return args.toArray(String[]::new);
    }

    private static String[] join(String token, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--join", token));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** "relative/path size" for every entry below a mountpoint, sorted: what two nodes must agree on. */
    private static List<String> listing(Path mnt) {
        try (var walk = Files.walk(mnt)) {
            return walk.filter(p -> !p.equals(mnt)).map(p -> mnt.relativize(p) + " "
                    + (Files.isDirectory(p) ? "dir" : String.valueOf(sizeOf(p)))).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of("unreadable: " + e);
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
