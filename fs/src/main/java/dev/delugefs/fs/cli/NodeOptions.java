package dev.delugefs.fs.cli;

import dev.delugefs.fs.node.Node;
import picocli.CommandLine.Option;

import java.time.Duration;

/** Options of a running node, shared by create and mount. */
final class NodeOptions {
    @Option(names = "--gc-retention", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long content no file refers to any more is kept before its space is reclaimed "
                    + "(default: ${DEFAULT-VALUE}).")
    long gcRetentionSeconds;

    Node.Options toOptions() {
        if (gcRetentionSeconds < 0) {
            throw new IllegalArgumentException("--gc-retention must not be negative: " + gcRetentionSeconds);
        }
        return new Node.Options(Duration.ofSeconds(gcRetentionSeconds));
    }
}
