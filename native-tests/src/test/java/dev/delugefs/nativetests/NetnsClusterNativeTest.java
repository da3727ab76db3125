package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Three machines, simulated by network namespaces on one bridge: `create` on one, `mount --join` on the
 * others, no --peer anywhere, so the nodes find each other by mDNS alone; all mounts show the same tree,
 * and every file reads the same bytes on every machine.
 * Each node's FUSE mount lives in the mount namespace `ip netns exec` gave it, so the test reaches it with
 * nsenter into the node's process.
 */
class NetnsClusterNativeTest {
    private Sandbox sandbox;
    private NetnsLan lan;
    private final List<Process> nodes = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (Process p : nodes) {
            p.destroy();
        }
        for (Process p : nodes) {
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    Processes.killTree(p.toHandle());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (lan != null) {
            lan.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private Process start(int node, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(NodeProcess.launcher().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(lan.inNamespace(node, command))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(log.toFile())
                .redirectError(log.resolveSibling(log.getFileName() + ".err").toFile());
        pb.environment().put("DELUGEFS_MDNS", "on");
        Process p = pb.start();
        nodes.add(p);
        return p;
    }

    private void eventually(String what, int seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder logs = new StringBuilder();
                try (var files = Files.list(sandbox.dir())) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".out") || f.toString().endsWith(".err")).toList()) {
                        logs.append("\n--- ").append(f.getFileName()).append(" ---\n").append(Cmd.tail(Files.readAllBytes(f)));
                    }
                } catch (IOException e) {
                    logs.append(e);
                }
                throw new AssertionError(what + " did not happen within " + seconds + " s" + logs);
            }
            NodeProcess.sleep(100);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** A shell command inside the node process's own mount namespace, where its FUSE mount is. */
    private static Cmd.Result inMountOf(Process node, String script) {
        return Cmd.of("nsenter", "-t", String.valueOf(node.pid()), "-m", "sh", "-c", script).run();
    }

    @Test
    void createOnOneMachineJoinOnAnotherBothSeeOneTree() throws Exception {
        String why = NetnsLan.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        sandbox = Sandbox.create("netns-cluster");
        lan = NetnsLan.create(3);  // node namespaces 1..3 on a bridge namespace
        Path rootA = sandbox.path("root-a");
        Path mntA = sandbox.path("mnt-a");
        Path rootB = sandbox.path("root-b");
        Path mntB = sandbox.path("mnt-b");
        Path outA = sandbox.dir().resolve("a.out");
        Path outB = sandbox.dir().resolve("b.out");
        Path rootC = sandbox.path("root-c");
        Path mntC = sandbox.path("mnt-c");
        Path outC = sandbox.dir().resolve("c.out");

        Process a = start(1, outA, "create", "vol", "--root", rootA.toString(), mntA.toString(),
                "--listen", lan.address(1) + ":7000", "--bind", lan.address(1));
        eventually("A is mounted and prints its token", 60, () -> read(outA).lines().anyMatch(l -> l.startsWith("dfs1-")));
        String token = read(outA).lines().filter(l -> l.startsWith("dfs1-")).findFirst().orElseThrow();

        Process b = start(2, outB, "mount", "vol", "--root", rootB.toString(), mntB.toString(), "--join", token,
                "--listen", lan.address(2) + ":7000", "--bind", lan.address(2));
        eventually("B joins and is mounted", 60, () -> read(outB).contains("mounted at"));
        Process c = start(3, outC, "mount", "vol", "--root", rootC.toString(), mntC.toString(), "--join", token,
                "--listen", lan.address(3) + ":7000", "--bind", lan.address(3));
        eventually("C joins and is mounted", 60, () -> read(outC).contains("mounted at"));

        assertThat(inMountOf(a, "mkdir " + mntA + "/docs && echo hello > " + mntA + "/docs/a.txt").exit()).isZero();
        long written = System.nanoTime();
        eventually("A's file shows on B, found by mDNS alone", 30,
                () -> inMountOf(b, "stat -c %s " + mntB + "/docs/a.txt").out().strip().equals("6"));
        System.out.printf("A's change visible on B after %d ms%n", (System.nanoTime() - written) / 1_000_000);

        assertThat(inMountOf(b, "echo from-b > " + mntB + "/docs/b.txt && chmod 600 " + mntB + "/docs/b.txt").exit())
                .isZero();
        eventually("B's file shows on A", 30,
                () -> inMountOf(a, "stat -c '%s %a' " + mntA + "/docs/b.txt").out().strip().equals("7 600"));

        eventually("C, which knows A only from the token and B only by mDNS, has both files", 30,
                () -> inMountOf(c, "stat -c %s " + mntC + "/docs/a.txt " + mntC + "/docs/b.txt").out().strip()
                        .equals("6\n7"));
        String treeA = inMountOf(a, "cd " + mntA + " && find . -printf '%p %s %m\\n' | sort").out();
        String treeB = inMountOf(b, "cd " + mntB + " && find . -printf '%p %s %m\\n' | sort").out();
        String treeC = inMountOf(c, "cd " + mntC + " && find . -printf '%p %s %m\\n' | sort").out();
        assertThat(treeB).isEqualTo(treeA).isEqualTo(treeC).contains("./docs/a.txt 6", "./docs/b.txt 7 600");

        // the bytes too: every file reads the same on every machine, fetched over BitTorrent between namespaces
        assertThat(inMountOf(c, "head -c 30000000 /dev/urandom > " + mntC + "/docs/c.bin").exit()).isZero();
        eventually("C's 30 MB file shows on A and B", 30,
                () -> inMountOf(a, "stat -c %s " + mntA + "/docs/c.bin").out().strip().equals("30000000")
                        && inMountOf(b, "stat -c %s " + mntB + "/docs/c.bin").out().strip().equals("30000000"));
        String sumsA = inMountOf(a, "cd " + mntA + " && find . -type f -exec sha256sum {} + | sort").out();
        String sumsB = inMountOf(b, "cd " + mntB + " && find . -type f -exec sha256sum {} + | sort").out();
        String sumsC = inMountOf(c, "cd " + mntC + " && find . -type f -exec sha256sum {} + | sort").out();
        assertThat(sumsA).as("file contents on A, B and C").isEqualTo(sumsB).isEqualTo(sumsC)
                .contains("./docs/a.txt", "./docs/b.txt", "./docs/c.bin");
        assertThat(sumsA.lines().count()).isEqualTo(3);
    }
}
