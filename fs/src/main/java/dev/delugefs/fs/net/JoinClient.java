package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.discovery.JoinToken;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerSession;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** The new node's side of a join: present the secret once, have the member admit our key. */
public final class JoinClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JoinClient() {
    }

    /** Returns the admitting member's node id. */
    public static String admit(ChannelClient client, JoinToken token, NodeIdentity identity, NodeKeys keys,
                               String volumeName) throws IOException {
        byte[] request = JSON.writeValueAsBytes(Map.of("nodeId", identity.nodeId(),
                "publicKey", keys.publicKeyOpenSsh().strip()));
        ExecResult result;
        try (PeerSession joining = client.joining(token)) {
            result = joining.exec(JoinHandler.COMMAND, request, Duration.ofSeconds(30));
        }
        if (!result.succeeded()) {
            throw new IOException("the member refused the join: " + result.stderrText().strip());
        }
        JsonNode answer = JSON.readTree(result.stdout());
        String name = answer.path("volumeName").asText("");
        if (!name.equals(volumeName)) {
            throw new IOException("the token is for volume '" + name + "', not '" + volumeName + "'");
        }
        String member = answer.path("memberNodeId").asText("");
        if (!member.matches("[0-9a-f]{32}")) {
            throw new IOException("the member's answer names no node id");
        }
        return member;
    }
}
