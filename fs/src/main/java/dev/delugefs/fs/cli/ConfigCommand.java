package dev.delugefs.fs.cli;

import dev.delugefs.metadata.VolumeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Change the volume's settings through the running node of a storage root; the change "
                + "is committed and reaches every node with the namespace."},
        subcommands = {ConfigCommand.Set.class})
final class ConfigCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: set");
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Set a volume setting. Settings: replication (complete copies of every file, 1..16)."})
    static final class Set implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        RootOption root;

        @Parameters(index = "0", paramLabel = "SETTING", description = "replication")
        String setting;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Override
        public Integer call() throws Exception {
            if (!setting.equals("replication")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown setting: " + setting
                        + " (settings: replication)");
            }
            int replication;
            try {
                replication = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "replication must be a number: " + value);
            }
            if (replication < 1 || replication > VolumeConfig.MAX_REPLICATION) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "replication must be 1.." + VolumeConfig.MAX_REPLICATION + ": " + value);
            }
            try (NodeControl node = NodeControl.open(root.path())) {
                node.call("config set replication " + replication, new byte[0]);
            }
            spec.commandLine().getOut().println("replication target is now " + replication + " copies");
            return 0;
        }
    }
}
