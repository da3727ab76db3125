package dev.delugefs.fs.cli;

import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.fs.net.JoinSecret;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.util.concurrent.Callable;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Print the join token of this node's volume again: a new node starts once with "
                + "'delugefs mount VOLUME --root DIR --join TOKEN'. Keep it secret: it lets a machine in."})
final class TokenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RootOption root;

    @Override
    public Integer call() throws Exception {
        if (!NodeIdentity.exists(root.path())) {
            throw new IOException("root " + root.path() + " is not a DelugeFS storage root (no node.json)");
        }
        NodeIdentity identity = NodeIdentity.load(root.path());
        spec.commandLine().getOut().println(JoinSecret.token(root.path(), identity.volumeId()).encode());
        return 0;
    }
}
