package dev.delugefs.metadata;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;

/**
 * {@code nodes/<node id>.json}: who a member is. Written only by that node, so it never conflicts;
 * later issues add addresses and ports.
 */
final class NodeFile {

    private NodeFile() {
    }

    static byte[] toJson(String nodeId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = RecordJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("createdAt", System.currentTimeMillis());
            g.writeStringField("hostname", hostname());
            g.writeStringField("nodeId", nodeId);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** Best effort: the name only helps people read the file, so a broken resolver must not stop a create. */
    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "unknown" : env;
        }
    }
}
