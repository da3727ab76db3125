package dev.delugefs.fs.cli;

import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.fs.net.JoinSecret;
import dev.delugefs.fs.node.StorageRoot;
import dev.delugefs.metadata.VolumeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Create a new volume in an empty storage root, then run its first node "
                + "(mounted at MOUNTPOINT if given) in the foreground. The last line printed is the join token "
                + "other nodes start with (delugefs mount VOLUME --root DIR --join TOKEN)."})
final class CreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VOLUME", description = "Name of the new volume: letters, digits, '.', '_', '-'.")
    String volume;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "Where to mount it; created if missing, must be empty.")
    Path mountpoint;

    @Mixin
    RootOption root;

    @Mixin
    NodeOptions node;

    @Option(names = "--piece-size", paramLabel = "BYTES", defaultValue = "1048576",
            description = "BitTorrent piece size, a power of two from 16 KiB to 16 MiB (default: ${DEFAULT-VALUE}).")
    int pieceSize;

    @Option(names = "--replication", paramLabel = "N", defaultValue = "2",
            description = "Target number of complete copies of every file (default: ${DEFAULT-VALUE}).")
    int replication;

    @Option(names = "--no-start", description = "Only create the volume; do not run the node.")
    boolean noStart;

    @Override
    public Integer call() throws Exception {
        VolumeConfig config;
        try {
            config = VolumeConfig.create(volume, replication, pieceSize);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        NodeIdentity identity = StorageRoot.create(root.path(), config);
        spec.commandLine().getOut().println("delugefs: created volume '" + volume + "' (id " + config.id() + ") in "
                + root.path() + ", node " + identity.nodeId());
        spec.commandLine().getOut().flush();
        if (noStart) {
            spec.commandLine().getOut().println(JoinSecret.token(root.path(), config.id()).encode());
            return 0;
        }
        return NodeRunner.run(root.path(), volume, mountpoint, options(), spec.commandLine().getOut(), true);
    }

    private dev.delugefs.fs.node.Node.Options options() {
        try {
            return node.toOptions();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
