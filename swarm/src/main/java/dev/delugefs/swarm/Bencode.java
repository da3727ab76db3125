package dev.delugefs.swarm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The subset of bencoding that .torrent files need: integers, byte strings and dictionaries.
 * The output is canonical (keys sorted as raw bytes), because the info-hash is taken over it.
 */
final class Bencode {
    private Bencode() {
    }

    /** Encodes a {@link Long}/{@link Integer}, {@code byte[]}, {@link String} (UTF-8) or {@code Map<String, ?>}. */
    static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(value, out);
        return out.toByteArray();
    }

    private static void write(Object value, ByteArrayOutputStream out) {
        if (value instanceof Long || value instanceof Integer) {
            out.writeBytes(("i" + value + "e").getBytes(StandardCharsets.US_ASCII));
        } else if (value instanceof byte[] bytes) {
            out.writeBytes((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
        } else if (value instanceof String text) {
            write(text.getBytes(StandardCharsets.UTF_8), out);
        } else if (value instanceof Map<?, ?> map) {
            // Sorting by the UTF-8 bytes, not by String order, is what the format defines.
            Map<byte[], Object> sorted = new TreeMap<>(Arrays::compareUnsigned);
            map.forEach((key, entry) -> sorted.put(((String) key).getBytes(StandardCharsets.UTF_8), entry));
            out.write('d');
            sorted.forEach((key, entry) -> {
                write(key, out);
                write(entry, out);
            });
            out.write('e');
        } else {
            throw new IllegalArgumentException("cannot bencode " + (value == null ? "null" : value.getClass()));
        }
    }
}
