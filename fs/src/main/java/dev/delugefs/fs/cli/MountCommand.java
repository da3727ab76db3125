package dev.delugefs.fs.cli;

import picocli.CommandLine.Command;
import dev.delugefs.discovery.JoinToken;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.fs.node.StorageRoot;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Run a node of VOLUME from its storage root in the foreground, mounted at MOUNTPOINT "
                + "if given. Stop it with Ctrl-C, SIGTERM or 'delugefs unmount MOUNTPOINT'."})
final class MountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume the root belongs to.")
    String volume;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "Where to mount it; created if missing, must be empty. Without it the node only stores.")
    Path mountpoint;

    @Mixin
    RootOption root;

    @Mixin
    NodeOptions node;

    @Option(names = "--join", paramLabel = "TOKEN",
            description = "First start of a new node: the join token a member printed (delugefs token).")
    String join;

    @Override
    public Integer call() throws Exception {
        if (join != null && !NodeIdentity.exists(root.path())) {
            JoinToken token;
            try {
                token = JoinToken.parse(join.strip());
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--join: " + e.getMessage());
            }
            NodeIdentity identity = StorageRoot.join(root.path(), volume, token);
            spec.commandLine().getOut().println("delugefs: joined volume '" + volume + "' as node " + identity.nodeId());
        } else if (join != null) {
            spec.commandLine().getErr().println("delugefs: " + root.path() + " is a node already; --join is not needed");
        }
        return NodeRunner.run(root.path(), volume, mountpoint, options(), spec.commandLine().getOut());
    }

    private dev.delugefs.fs.node.Node.Options options() {
        try {
            return node.toOptions();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
