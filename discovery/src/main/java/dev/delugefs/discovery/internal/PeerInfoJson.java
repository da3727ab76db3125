package dev.delugefs.discovery.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.PeerInfo;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code hello} answer: the same facts as the TXT record, as JSON. Written by hand rather than by
 * binding the record, so renaming a Java field cannot change the wire format. {@code lastSeen} is not sent:
 * it is the receiver's clock that counts.
 */
public final class PeerInfoJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeerInfoJson() {
    }

    public static byte[] write(PeerInfo info) {
        ObjectNode root = JSON.createObjectNode();
        root.put("v", TxtCodec.PROTOCOL_VERSION);
        root.put("node", info.nodeId());
        root.put("volume", info.volumeId());
        ArrayNode ssh = root.putArray("ssh");
        info.addresses().forEach(a -> ssh.add(a.toString()));
        root.put("bt", info.btPort());
        root.put("host", info.hostId());
        root.put("head", info.head());
        root.put("free", info.freeBytes());
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON of a tree we built", e);
        }
    }

    public static PeerInfo read(byte[] json, Instant seen) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.isObject()) {
            throw new IOException("hello answer is not a JSON object");
        }
        if (!TxtCodec.PROTOCOL_VERSION.equals(root.path("v").asText())) {
            throw new IOException("hello answer has unsupported protocol version '" + root.path("v").asText() + "'");
        }
        try {
            List<HostPort> ssh = new ArrayList<>();
            root.path("ssh").forEach(a -> ssh.add(HostPort.parse(a.asText())));
            return new PeerInfo(root.path("node").asText(null), root.path("volume").asText(null), ssh,
                    root.path("bt").asInt(), root.path("host").asText(""), root.path("head").asText(""),
                    root.path("free").asLong(), seen);
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed hello answer: " + e.getMessage(), e);
        }
    }
}
