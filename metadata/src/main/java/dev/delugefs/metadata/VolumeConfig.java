package dev.delugefs.metadata;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.delugefs.discovery.NodeIdentity;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

/**
 * The volume-wide settings every node shares, stored as {@code volume.json} at the root of the repo.
 *
 * @param createdAt milliseconds since the epoch
 */
public record VolumeConfig(String name, String id, int replication, int pieceLength, long createdAt) {

    public static final String FILE_NAME = "volume.json";
    public static final int DEFAULT_REPLICATION = 2;
    public static final int MAX_REPLICATION = 16;
    public static final int DEFAULT_PIECE_LENGTH = 1 << 20;
    public static final int MIN_PIECE_LENGTH = 16 << 10;
    public static final int MAX_PIECE_LENGTH = 16 << 20;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    public VolumeConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("volume name must be 1-63 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit: '" + name + "'");
        }
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("volume id must be 32 lowercase hex digits: " + id);
        }
        if (replication < 1 || replication > MAX_REPLICATION) {
            throw new IllegalArgumentException("replication must be 1.." + MAX_REPLICATION + ": " + replication);
        }
        if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH || Integer.bitCount(pieceLength) != 1) {
            throw new IllegalArgumentException("piece length must be a power of two from 16 KiB to 16 MiB: " + pieceLength);
        }
    }

    /** A new volume with a fresh random id. */
    public static VolumeConfig create(String name, int replication, int pieceLength) {
        return new VolumeConfig(name, NodeIdentity.randomId(), replication, pieceLength, System.currentTimeMillis());
    }

    public static VolumeConfig create(String name) {
        return create(name, DEFAULT_REPLICATION, DEFAULT_PIECE_LENGTH);
    }

    public VolumeConfig withReplication(int value) {
        return new VolumeConfig(name, id, value, pieceLength, createdAt);
    }

    /** Canonical like records (sorted keys, one line), so every node writes the same blob for the same config. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = RecordJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("createdAt", createdAt);
            g.writeStringField("id", id);
            g.writeStringField("name", name);
            g.writeNumberField("pieceLength", pieceLength);
            g.writeNumberField("replication", replication);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    public static VolumeConfig fromJson(byte[] json) {
        JsonNode node;
        try {
            node = RecordJson.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(FILE_NAME + " is not valid JSON: " + RecordJson.reason(e), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(FILE_NAME + " must hold a JSON object");
        }
        try {
            return new VolumeConfig(RecordJson.text(node, "name"), RecordJson.text(node, "id"),
                    (int) RecordJson.longField(node, "replication", Integer.MIN_VALUE, Integer.MAX_VALUE),
                    (int) RecordJson.longField(node, "pieceLength", Integer.MIN_VALUE, Integer.MAX_VALUE),
                    RecordJson.longField(node, "createdAt", Long.MIN_VALUE, Long.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FILE_NAME + ": " + e.getMessage(), e);
        }
    }
}
