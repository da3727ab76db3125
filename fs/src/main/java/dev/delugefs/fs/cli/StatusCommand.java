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
import java.time.Instant;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show what the running node of a storage root knows: its peers (up or down, free "
                + "space, last seen), how many files are under or over the replication target, and its "
                + "BitTorrent transfers and hash failures."})
final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    RootOption root;

    @Option(names = "--json", description = "Print the status as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode status;
        try (NodeControl node = NodeControl.open(root.path())) {
            status = node.call("status", new byte[0]);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JSON.writeValueAsString(status));
            return 0;
        }
        out.printf("node %s of volume '%s': %s free of %s%n", status.path("node").asText(),
                status.path("volume").asText(), bytes(status.path("freeBytes").asLong()),
                bytes(status.path("totalBytes").asLong()));
        JsonNode peers = status.path("peers");
        out.printf("peers: %d%n", peers.size());
        for (JsonNode peer : peers) {
            out.printf("  %-32s %-4s %-22s %10s free  last seen %s ago%n", peer.path("node").asText(),
                    peer.path("up").asBoolean() ? "up" : "DOWN", String.join(",", strings(peer.path("addresses"))),
                    bytes(peer.path("freeBytes").asLong()), ago(peer.path("lastSeen").asText()));
        }
        JsonNode replication = status.path("replication");
        out.printf("replication: target %d copies; of %d contents %d under target, %d over, %d with no copy on a node "
                        + "that is up (as of %s)%n", replication.path("target").asInt(), replication.path("contents").asInt(),
                replication.path("underTarget").asInt(), replication.path("overTarget").asInt(),
                replication.path("unavailable").asInt(),
                replication.path("lastRound").asText().isEmpty() ? "no round yet" : ago(replication.path("lastRound").asText()) + " ago");
        JsonNode scrub = status.path("scrub");
        out.printf("scrub: %s; %d damaged copies found since the node started%n",
                scrub.path("lastPass").asText().isEmpty() ? "no pass yet"
                        : "last pass " + ago(scrub.path("lastPass").asText()) + " ago, " + scrub.path("checked").asInt()
                        + " copies checked", scrub.path("damagedSinceStart").asLong());
        JsonNode swarm = status.path("swarm");
        out.printf("swarm: port %d, %d torrents, %d hash failures; small files fetched: %d by content stream, "
                        + "%d over the channel%n", swarm.path("btPort").asInt(), swarm.path("torrents").asInt(),
                swarm.path("hashFailures").asLong(), swarm.path("smallFilesByStream").asLong(),
                swarm.path("smallFilesByChannel").asLong());
        JsonNode transfers = swarm.path("transfers");
        out.printf("transfers: %d%n", transfers.size());
        for (JsonNode t : transfers) {
            int pieces = Math.max(1, t.path("pieces").asInt());
            out.printf("  %s %10s %5.1f%% %s%s%n", t.path("content").asText(), bytes(t.path("length").asLong()),
                    100.0 * t.path("piecesVerified").asInt() / pieces,
                    t.path("downloading").asBoolean() ? "downloading" : "waiting",
                    t.path("waitingReads").asInt() > 0 ? ", " + t.path("waitingReads").asInt() + " reads waiting" : "");
        }
        return 0;
    }

    static java.util.List<String> strings(JsonNode array) {
        java.util.List<String> list = new java.util.ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static String ago(String instant) {
        try {
            Duration d = Duration.between(Instant.parse(instant), Instant.now());
            return d.toSeconds() < 120 ? d.toSeconds() + " s" : d.toMinutes() + " min";
        } catch (RuntimeException e) {
            return "?";
        }
    }

    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format("%.1f %s", v, units[u]);
    }
}
