package dev.delugefs.fs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "scrub", mixinStandardHelpOptions = true,
        description = {"Re-read every copy the running node of a storage root holds, at full speed, and check it "
                + "against its piece hashes. A damaged copy stops counting as a copy and its damaged pieces are "
                + "fetched again from the peers.",
                "Exit status 3 when damaged copies were found."})
final class ScrubCommand implements Callable<Integer> {
    static final int DAMAGE_FOUND = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A pass reads the whole store: allow it long. */
    private static final Duration TIMEOUT = Duration.ofHours(24);

    @Spec
    CommandSpec spec;

    @Mixin
    RootOption root;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode report;
        try (NodeControl node = NodeControl.open(root.path())) {
            report = node.call("scrub", new byte[0], TIMEOUT);
        }
        PrintWriter out = spec.commandLine().getOut();
        JsonNode damaged = report.path("damaged");
        if (json) {
            out.println(JSON.writeValueAsString(report));
        } else {
            out.printf("scrubbed %d copies (%d MiB): %d damaged%n", report.path("checked").asInt(),
                    report.path("bytes").asLong() >> 20, damaged.size());
            for (JsonNode d : damaged) {
                out.printf("  %s: %d of %d pieces damaged, being fetched again from the peers%n",
                        d.path("content").asText(), d.path("damagedPieces").asInt(), d.path("pieces").asInt());
            }
        }
        out.flush();
        return damaged.isEmpty() ? 0 : DAMAGE_FOUND;
    }
}
