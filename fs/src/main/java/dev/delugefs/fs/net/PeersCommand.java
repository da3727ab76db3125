package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.discovery.CompositeMembership;
import dev.delugefs.discovery.HostPort;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code peers}: every member this node knows, how it learned of it ({@code peer}: a --peer address,
 * {@code record}: the member's record in the volume, {@code mdns}, {@code inbound}: the member's reverse link),
 * the route and address in use, and whether it is up; JSON for {@code delugefs peers}.
 */
final class PeersCommand implements CommandHandler {
    static final String NAME = "peers";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CompositeMembership membership;

    PeersCommand(CompositeMembership membership) {
        this.membership = membership;
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        List<Map<String, Object>> list = new ArrayList<>();
        for (CompositeMembership.Entry e : membership.entries()) {
            Map<String, Object> peer = new LinkedHashMap<>();
            peer.put("node", e.info().nodeId());
            peer.put("up", e.up());
            peer.put("learnedBy", e.learnedBy());
            peer.put("route", e.route());
            peer.put("addresses", e.info().addresses().stream().map(HostPort::toString).toList());
            peer.put("btPort", e.info().btPort());
            peer.put("lastSeen", e.info().lastSeen().toString());
            list.add(peer);
        }
        request.stdout().write(JSON.writeValueAsBytes(Map.of("peers", list)));
        request.stdout().write('\n');
        return 0;
    }
}
