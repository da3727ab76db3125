package dev.delugefs.fs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "peers", mixinStandardHelpOptions = true,
        description = {"List the members the running node of a storage root knows: how it learned of each "
                + "(peer: a --peer address or one remembered in the root; record: the member's record in the "
                + "volume; mdns; inbound: the member reached us and can be reached back through its session), "
                + "the route and address in use, and whether it is up."})
final class PeersCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    RootOption root;

    @Option(names = "--json", description = "Print the list as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode answer;
        try (NodeControl node = NodeControl.open(root.path())) {
            answer = node.call("peers", new byte[0]);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JSON.writeValueAsString(answer));
            return 0;
        }
        JsonNode peers = answer.path("peers");
        out.printf("%-32s %-4s %-8s %-22s %s%n", "NODE", "UP", "ROUTE", "ADDRESS", "LEARNED BY");
        for (JsonNode peer : peers) {
            out.printf("%-32s %-4s %-8s %-22s %s%n", peer.path("node").asText(),
                    peer.path("up").asBoolean() ? "up" : "DOWN", peer.path("route").asText(),
                    String.join(",", StatusCommand.strings(peer.path("addresses"))),
                    String.join(",", StatusCommand.strings(peer.path("learnedBy"))));
        }
        return 0;
    }
}
