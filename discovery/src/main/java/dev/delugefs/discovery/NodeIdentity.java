package dev.delugefs.discovery;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Who this node is: a random 128-bit id, kept in {@code ROOT/node.json} for the life of the storage root.
 * Later issues add the key pair and ports to the same file.
 */
public record NodeIdentity(@JsonProperty("nodeId") String nodeId,
                           @JsonProperty("volumeId") String volumeId,
                           @JsonProperty("createdAt") long createdAt) {

    public static final String FILE_NAME = "node.json";
    private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{32}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public NodeIdentity {
        if (nodeId == null || !HEX_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id must be 32 lowercase hex digits: " + nodeId);
        }
        if (volumeId == null || !HEX_ID.matcher(volumeId).matches()) {
            throw new IllegalArgumentException("volume id must be 32 lowercase hex digits: " + volumeId);
        }
    }

    /** A fresh identity for a node of the given volume. */
    public static NodeIdentity generate(String volumeId) {
        return new NodeIdentity(randomId(), volumeId, System.currentTimeMillis());
    }

    /** 128 random bits as 32 hex digits; used for node and volume ids. */
    public static String randomId() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public static boolean exists(Path root) {
        return Files.isRegularFile(root.resolve(FILE_NAME));
    }

    public static NodeIdentity load(Path root) throws IOException {
        Path file = root.resolve(FILE_NAME);
        try {
            return JSON.readValue(file.toFile(), NodeIdentity.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + " is not a valid node file: " + e.getMessage(), e);
        }
    }

    /** Writes node.json atomically, so a crash leaves the old file or the new one. */
    public void save(Path root) throws IOException {
        Path tmp = root.resolve(FILE_NAME + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        Files.move(tmp, root.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
