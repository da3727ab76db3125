package dev.delugefs.fs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerSession;
import dev.delugefs.fs.net.ChannelSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The CLI talking to the node running on a storage root, over that node's own channel with the node's own
 * key (a member's key like any other), so a command sees what the running node sees.
 */
final class NodeControl implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final Path root;
    private final ChannelClient client;
    private final PeerSession session;

    private NodeControl(Path root, ChannelClient client, PeerSession session) {
        this.root = root;
        this.client = client;
        this.session = session;
    }

    static NodeControl open(Path root) throws IOException {
        if (!NodeIdentity.exists(root)) {
            throw new IOException("root " + root + " is not a DelugeFS storage root (no node.json)");
        }
        ChannelSettings channel = ChannelSettings.load(root);
        if (channel == null) {
            throw new IOException("no node has run on " + root + " yet (no channel.json)");
        }
        HostPort own = channel.localAddress();
        NodeKeys keys = NodeKeys.load(root);
        ChannelClient client = ChannelClient.start(keys);
        return new NodeControl(root, client, client.member(keys.fingerprint(), own));
    }

    /** Runs a command of the node and returns its JSON answer. */
    JsonNode call(String command, byte[] stdin) throws IOException {
        return call(command, stdin, TIMEOUT);
    }

    /** As above, for a command that may take up to {@code timeout}. */
    JsonNode call(String command, byte[] stdin, Duration timeout) throws IOException {
        ExecResult result;
        try {
            result = session.exec(command, stdin, timeout);
        } catch (IOException e) {
            throw new IOException("the node of " + root + " does not answer (is it running?): " + e.getMessage(), e);
        }
        if (!result.succeeded()) {
            throw new IOException(command.split(" ")[0] + " failed on the node: " + result.stderrText().strip());
        }
        return JSON.readTree(result.stdout());
    }

    @Override
    public void close() {
        session.close();
        client.close();
    }
}
