package dev.delugefs.fs.cli;

import dev.delugefs.fs.fuse.MountPoints;
import dev.delugefs.fs.node.StorageRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "unmount", aliases = "umount", mixinStandardHelpOptions = true,
        description = {"Unmount a DelugeFS mount. Returns once its node has sealed, committed and stopped."})
final class UnmountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = "--lazy", description = "Detach now even if files are open; the node stops when they close.")
    boolean lazy;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the node to stop (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Path abs = mountpoint.toAbsolutePath().normalize();
        MountPoints.Mount mount = MountPoints.list().stream()
                .filter(m -> m.mountpoint().equals(abs) && m.isDelugefs())
                .findFirst()
                .orElseThrow(() -> new IOException(abs + " is not a mounted DelugeFS volume"));
        String error = MountPoints.fusermount(abs, lazy);
        if (error != null) {
            if (error.contains("busy")) {
                throw new IOException(abs + " is busy: a process still has files open there or works in it "
                        + "(see 'fuser -vm " + abs + "'); close them or use --lazy");
            }
            throw new IOException("could not unmount " + abs + ": " + error);
        }
        Path root = Path.of(mount.source());
        if (Files.isDirectory(root)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (StorageRoot.isLocked(root)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("unmounted " + abs + ", but its node (root " + root
                            + ") has not stopped within " + timeoutSeconds + " s");
                }
                Thread.sleep(50);
            }
        }
        spec.commandLine().getOut().println("delugefs: unmounted " + abs);
        return 0;
    }
}
