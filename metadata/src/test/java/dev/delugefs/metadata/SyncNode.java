package dev.delugefs.metadata;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerSession;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One node of a loopback test volume: its store, channel server and client, and the peers it syncs with.
 * Every node trusts every key in the shared {@code members} list, as {@code nodes/*.pub} would say.
 */
final class SyncNode implements AutoCloseable {

    final String id;
    final Path root;
    final NodeKeys keys;
    final ChannelServer server;
    final ChannelClient client;
    final Links links = new Links();
    NamespaceStore store;
    VolumeSync sync;

    private SyncNode(String id, Path root, List<String> members) throws IOException {
        this.id = id;
        this.root = root;
        this.keys = NodeKeys.loadOrCreate(root, "node-" + id);
        members.add(keys.publicKeyOpenSsh());
        this.server = ChannelServer.builder(keys).listen(new HostPort("127.0.0.1", 0))
                .authorizedKeys(() -> members).start();
        this.client = ChannelClient.start(keys, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    /** A node whose store is made by the caller (created, or cloned through {@link #sessionTo}). */
    static SyncNode start(String id, Path root, List<String> members) throws IOException {
        return new SyncNode(id, root, members);
    }

    static List<String> members() {
        return new CopyOnWriteArrayList<>();
    }

    /** A session from this node to {@code other}, pinned to its host key. */
    PeerSession sessionTo(SyncNode other) {
        return client.member(other.keys.fingerprint(), other.server.address());
    }

    /** Makes {@code other} a peer of this node (one way). */
    void link(SyncNode other) {
        links.put(new PeerDirectory.PeerLink(other.id, sessionTo(other)));
    }

    /** Starts the sync loop, serving this node's repo on its channel. */
    VolumeSync startSync(Duration sweep) {
        sync = new VolumeSync(store, id, links, sweep).start(server);
        return sync;
    }

    @Override
    public void close() throws IOException {
        if (sync != null) {
            sync.close();
        }
        links.closeAll();
        client.close();
        server.close();
        if (store != null) {
            store.close();
        }
    }

    static final class Links implements PeerDirectory {
        private final Map<String, PeerLink> byId = new ConcurrentHashMap<>();

        void put(PeerLink link) {
            byId.put(link.nodeId(), link);
        }

        @Override
        public List<PeerLink> peers() {
            return new ArrayList<>(byId.values());
        }

        @Override
        public Optional<PeerLink> peer(String nodeId) {
            return Optional.ofNullable(byId.get(nodeId));
        }

        void closeAll() {
            byId.values().forEach(link -> link.session().close());
        }
    }
}
