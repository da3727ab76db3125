package dev.delugefs.fs.cli;

import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The `delugefs` command line. Exit codes: 0 done, 1 failed (one line on stderr says why), 2 bad usage. */
@Command(name = "delugefs", mixinStandardHelpOptions = true, version = "delugefs 0.1.0",
        description = "A shared-nothing peer-to-peer filesystem: Git for names, BitTorrent for data.",
        subcommands = {CreateCommand.class, MountCommand.class, UnmountCommand.class, TokenCommand.class,
                TorrentCommand.class, PinCommand.class, StatusCommand.class, PeersCommand.class, ConfigCommand.class, ScrubCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int FAILED = 1;
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        // JGit's default SHA-1 is pure Java with collision detection, several times slower than the JDK's
        // intrinsic one; every commit hashes its records, and on two cores that competes with the mount.
        // Objects come only from this node and, later, from authenticated members.
        if (System.getProperty(JGIT_SHA1) == null) {
            System.setProperty(JGIT_SHA1, "jdkNative");
        }
        System.exit(execute(args));
    }

    private static final String JGIT_SHA1 = "org.eclipse.jgit.util.sha1.implementation";

    static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, params) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("delugefs: error: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("delugefs: error: " + describe(ex));
            LoggerFactory.getLogger(Main.class).debug("command failed", ex);
            return FAILED;
        });
        return cli.execute(args);
    }

    private static String describe(Throwable t) {
        if (t instanceof java.nio.file.NoSuchFileException e) {
            return "no such file or directory: " + e.getFile()
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        }
        if (t instanceof java.nio.file.AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        String message = t.getMessage();
        StringBuilder line = new StringBuilder(message == null || message.isBlank() ? t.toString() : message);
        // the causes say why, and a one-line error is all a user sees without DELUGEFS_LOG=DEBUG
        for (Throwable cause = t.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            String why = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            if (line.indexOf(why) < 0) {
                line.append(": ").append(why);
            }
        }
        return line.toString();
    }
}
