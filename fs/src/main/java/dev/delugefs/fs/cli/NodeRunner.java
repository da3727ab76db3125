package dev.delugefs.fs.cli;

import dev.delugefs.fs.fuse.FuseMount;
import dev.delugefs.fs.net.JoinSecret;
import dev.delugefs.fs.node.Node;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a node in the foreground until it is unmounted or signalled. SIGINT/SIGTERM run the JVM's shutdown
 * hooks (libfuse leaves signals the JVM already handles alone), and ours stops the node in order: detach
 * the mount, seal open files, commit, release the root; then it ends the process with status 0.
 */
final class NodeRunner {
    private NodeRunner() {
    }

    static int run(Path root, String volume, Path mountpoint, Node.Options options, PrintWriter out)
            throws IOException, InterruptedException {
        return run(root, volume, mountpoint, options, out, false);
    }

    /** With {@code printToken}, the join token is the last line on stdout once the node is up. */
    static int run(Path root, String volume, Path mountpoint, Node.Options options, PrintWriter out,
                   boolean printToken) throws IOException, InterruptedException {
        Node node = Node.open(root, volume, options);
        FuseMount mount;
        try {
            mount = mountpoint == null ? null : FuseMount.start(node.vfs(), mountpoint.toAbsolutePath().normalize(),
                    root.toAbsolutePath().normalize().toString());
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(node, mount);
            Runtime.getRuntime().halt(0);
        }, "delugefs-shutdown"));
        if (mount != null) {
            out.println("delugefs: " + volume + " mounted at " + mount.mountpoint());
        } else {
            out.println("delugefs: " + volume + " serving from " + root + " (no mountpoint)");
        }
        if (printToken) {
            out.println(JoinSecret.token(root, node.identity().volumeId()).encode());
        }
        out.flush();
        if (mount != null) {
            mount.awaitUnmounted();
        } else {
            new CountDownLatch(1).await();
        }
        stop(node, mount);
        return 0;
    }

    private static void stop(Node node, FuseMount mount) {
        if (mount != null) {
            mount.unmount();
        }
        node.close();
    }
}
