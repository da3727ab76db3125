package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.metadata.NamespaceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The member's side of a join: a node that logged in with the volume's join secret sends its node id and
 * public key; the member commits {@code nodes/<id>.pub}, after which every member lets that key in.
 */
final class JoinHandler implements CommandHandler {
    static final String COMMAND = "join";
    private static final Logger log = LoggerFactory.getLogger(JoinHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NODE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern PUBLIC_KEY = Pattern.compile("ssh-ed25519 [A-Za-z0-9+/]+=*( [!-~]+)?");

    private final NamespaceStore store;
    private final String memberNodeId;

    JoinHandler(NamespaceStore store, String memberNodeId) {
        this.store = store;
        this.memberNodeId = memberNodeId;
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(request.stdin().readNBytes(16 * 1024));
        } catch (IOException e) {
            return refuse(request, "the join request is not JSON");
        }
        String nodeId = body == null ? null : body.path("nodeId").asText(null);
        String publicKey = body == null ? null : body.path("publicKey").asText(null);
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            return refuse(request, "the join request needs a node id of 32 lowercase hex digits");
        }
        if (publicKey == null || !PUBLIC_KEY.matcher(publicKey.strip()).matches()) {
            return refuse(request, "the join request needs an ssh-ed25519 public key");
        }
        store.putFiles(Map.of("nodes/" + nodeId + ".pub", (publicKey.strip() + "\n").getBytes(StandardCharsets.US_ASCII)));
        log.info("admitted node {} to volume '{}' (request from {})", nodeId, store.volume().name(),
                request.peer().remoteAddress());
        Map<String, String> answer = Map.of("volumeId", store.volume().id(), "volumeName", store.volume().name(),
                "memberNodeId", memberNodeId);
        request.stdout().write(JSON.writeValueAsBytes(answer));
        return 0;
    }

    private static int refuse(CommandRequest request, String why) throws IOException {
        log.warn("refused a join from {}: {}", request.peer().remoteAddress(), why);
        request.stderr().write((why + "\n").getBytes(StandardCharsets.UTF_8));
        return 2;
    }
}
