package dev.delugefs.metadata;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one canonical byte form of a record: sorted keys, no spaces, one line ending in "\n".
 *
 * <p>Canonical bytes make equal records equal blobs, so Git deduplicates them and a merge can compare
 * blob ids instead of parsing. Names that may hold any byte are escaped with {@link PathCodec#escape}
 * so the JSON stays ASCII whatever the kernel handed us. uid and gid are written unsigned, as the
 * kernel sees them.
 */
public final class RecordJson {

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final JsonFactory FACTORY = MAPPER.getFactory();

    private RecordJson() {
    }

    public static byte[] toJson(Record record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, record);
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    public static Record fromJson(byte[] json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("record is not valid JSON: " + reason(e), e);
        }
        return fromNode(node);
    }

    /** Jackson's message without the source excerpt it appends (which may hold raw bytes). */
    static String reason(IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }

    /** Keys in the order {@code String.compareTo} sorts them; the canonical form depends on it. */
    static void write(JsonGenerator g, Record r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("clock", r.clock());
        if (r.content() != null) {
            g.writeObjectFieldStart("content");
            g.writeStringField("id", r.content().id());
            g.writeNumberField("pieceLength", r.content().pieceLength());
            g.writeStringField("pieces", Base64.getEncoder().encodeToString(r.content().pieces()));
            g.writeEndObject();
        }
        g.writeNumberField("ctime", r.ctime());
        g.writeNumberField("gid", Integer.toUnsignedLong(r.gid()));
        g.writeNumberField("mode", r.mode());
        g.writeNumberField("mtime", r.mtime());
        g.writeNumberField("size", r.size());
        if (r.target() != null) {
            g.writeStringField("target", PathCodec.escape(r.target()));
        }
        g.writeStringField("type", r.type().json());
        g.writeNumberField("uid", Integer.toUnsignedLong(r.uid()));
        g.writeStringField("writer", r.writer());
        Map<String, byte[]> xattrs = r.xattrs();
        if (!xattrs.isEmpty()) {
            // escaping can reorder names ('%' sorts before letters), and the form must stay sorted
            TreeMap<String, byte[]> escaped = new TreeMap<>();
            xattrs.forEach((name, value) -> escaped.put(PathCodec.escape(name), value));
            g.writeObjectFieldStart("xattrs");
            for (Map.Entry<String, byte[]> e : escaped.entrySet()) {
                g.writeStringField(e.getKey(), Base64.getEncoder().encodeToString(e.getValue()));
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    static Record fromNode(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("record must be a JSON object");
        }
        Record.Type type = Record.Type.fromJson(text(node, "type"));
        Record.Builder b = Record.builder(type)
                .clock(longField(node, "clock", 0, Long.MAX_VALUE))
                .ctime(longField(node, "ctime", Long.MIN_VALUE, Long.MAX_VALUE))
                .mtime(longField(node, "mtime", Long.MIN_VALUE, Long.MAX_VALUE))
                .gid((int) longField(node, "gid", 0, 0xFFFF_FFFFL))
                .uid((int) longField(node, "uid", 0, 0xFFFF_FFFFL))
                .mode((int) longField(node, "mode", 0, 07777))
                .size(longField(node, "size", 0, Long.MAX_VALUE))
                .writer(text(node, "writer"));
        if (node.has("target")) {
            b.target(unescape(text(node, "target"), "target"));
        }
        if (node.has("content")) {
            b.content(content(node.get("content")));
        }
        if (node.has("xattrs")) {
            b.xattrs(xattrs(node.get("xattrs")));
        }
        return b.build();
    }

    private static Record.Content content(JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("record field 'content' must be an object");
        }
        return new Record.Content(text(node, "id"), (int) longField(node, "pieceLength", 1, Integer.MAX_VALUE),
                base64(text(node, "pieces"), "content.pieces"));
    }

    private static Map<String, byte[]> xattrs(JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("record field 'xattrs' must be an object");
        }
        Map<String, byte[]> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String name = unescape(e.getKey(), "xattr name");
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("xattr '" + e.getKey() + "' value must be a base64 string");
            }
            out.put(name, base64(e.getValue().textValue(), "xattr '" + e.getKey() + "'"));
        }
        return out;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string, got " + v.getNodeType());
        }
        return v.textValue();
    }

    static long longField(JsonNode node, String field, long min, long max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer, got " + v);
        }
        long value = v.longValue();
        if (value < min || value > max) {
            throw new IllegalArgumentException("field '" + field + "' is out of range [" + min + ", " + max + "]: "
                    + value);
        }
        return value;
    }

    private static byte[] base64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not standard base64: " + e.getMessage(), e);
        }
    }

    private static String unescape(String text, String what) {
        try {
            return PathCodec.unescape(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}
