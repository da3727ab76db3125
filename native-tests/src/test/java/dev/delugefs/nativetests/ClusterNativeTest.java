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

    private static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 20 s").isLessThan(deadline);
            NodeProcess.sleep(100);
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void twoNodesShareOneTreeAndAStrangerGetsNothing() throws Exception {
        int portA = freePort();
        int portB = freePort();
        NodeProcess a = NodeProcess.configure(sandbox, "vol", sandbox.newDir("root-a"), sandbox.path("mnt-a"));
        a.create("--listen", "127.0.0.1:" + portA, "--peer", "127.0.0.1:" + portB);
        String token = lastLine(a.stdout());
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
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(b.p("dir/sub/file"))))
                .isEqualTo("rw-r-----");
        assertThat(Cmd.of("getfattr", "--only-values", "-n", "user.color", b.p("dir/sub/file").toString()).ok().out())
                .isEqualTo("blue");

        Files.move(a.p("dir/sub"), a.p("dir/moved"));
        eventually("a rename on A shows on B", () -> Files.exists(b.p("dir/moved/file")) && !Files.exists(b.p("dir/sub")));
        Files.delete(a.p("dir/moved/file"));
        eventually("a delete on A shows on B", () -> !Files.exists(b.p("dir/moved/file")));

        // B → A
        Files.createDirectory(b.p("from-b"));
        Data.write(b.p("from-b/note"), "hello from b".getBytes());
        eventually("a file written on B shows on A", () -> sizeOf(a.p("from-b/note")) == 12);
        // the bytes stay on B until the data plane (BitTorrent) lands: reading them on A is a clear EIO
        assertThat(Py.errno("open(p[0], 'rb').read()", Py.bytes(a.p("from-b/note")))).isEqualTo("EIO");

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

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
