package dev.delugefs.fs.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The --root option every node command shares. */
final class RootOption {
    @Option(names = "--root", required = true, paramLabel = "DIR",
            description = "The node's storage root: one disk's directory for this volume.")
    Path root;

    Path path() {
        return root.toAbsolutePath().normalize();
    }
}
