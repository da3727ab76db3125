package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.metadata.NamespaceStore;

import java.io.IOException;
import dev.delugefs.fs.vfs.StorageSpace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code status}: this node, the peers it has seen and its data plane, as JSON for {@code delugefs status}. */
final class StatusCommand implements CommandHandler {
    static final String NAME = "status";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeIdentity identity;
    private final NamespaceStore store;
    private final PeerTable peers;
    private final NodeSwarm swarm;
    private final Replicator replicator;
    private final StorageSpace space;
    private final ScrubService scrub;

    StatusCommand(NodeIdentity identity, NamespaceStore store, PeerTable peers, NodeSwarm swarm, Replicator replicator,
                  StorageSpace space, ScrubService scrub) {
        this.scrub = scrub;
        this.replicator = replicator;
        this.identity = identity;
        this.store = store;
        this.peers = peers;
        this.swarm = swarm;
        this.space = space;
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("node", identity.nodeId());
        status.put("volume", store.volume().name());
        status.put("volumeId", identity.volumeId());
        status.put("head", store.head() == null ? "" : store.head().name());
        status.put("freeBytes", space.usable());
        status.put("totalBytes", space.total());
        List<Map<String, Object>> list = new ArrayList<>();
        for (PeerTable.Entry entry : peers.entries()) {
            Map<String, Object> peer = new LinkedHashMap<>();
            peer.put("node", entry.info().nodeId());
            peer.put("up", entry.up());
            peer.put("addresses", entry.info().addresses().stream().map(HostPort::toString).toList());
            peer.put("btPort", entry.info().btPort());
            peer.put("freeBytes", entry.info().freeBytes());
            peer.put("lastSeen", entry.info().lastSeen().toString());
            list.add(peer);
        }
        status.put("peers", list);
        status.put("swarm", swarm.status());
        status.put("replication", replicator.status().toMap());
        status.put("scrub", scrub.status());
        request.stdout().write(JSON.writeValueAsBytes(status));
        request.stdout().write('\n');
        return 0;
    }
}
