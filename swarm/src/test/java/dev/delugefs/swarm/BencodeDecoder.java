package dev.delugefs.swarm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict bencode reader for tests: dictionaries (keys must be sorted and unique), lists, integers and
 * byte strings. It also remembers where each top-level value sits, to hash the info dictionary as stored.
 */
final class BencodeDecoder {
    private final byte[] data;
    private int pos;
    private final Map<String, byte[]> rawTopLevel = new LinkedHashMap<>();

    private BencodeDecoder(byte[] data) {
        this.data = data;
    }

    /** The top-level dictionary; values are Long, byte[], List or Map. */
    static Map<String, Object> decodeDictionary(byte[] data) {
        return new BencodeDecoder(data).topLevel();
    }

    /** The exact bytes of one value of the top-level dictionary. */
    static byte[] rawValue(byte[] data, String key) {
        BencodeDecoder decoder = new BencodeDecoder(data);
        decoder.topLevel();
        return decoder.rawTopLevel.get(key);
    }

    private Map<String, Object> topLevel() {
        if (data.length == 0 || data[0] != 'd') {
            throw new IllegalArgumentException("not a dictionary");
        }
        Map<String, Object> result = dictionary(true);
        if (pos != data.length) {
            throw new IllegalArgumentException("trailing bytes at " + pos);
        }
        return result;
    }

    private Object value() {
        byte b = data[pos];
        if (b == 'i') {
            int end = indexOf('e');
            long n = Long.parseLong(new String(data, pos + 1, end - pos - 1, StandardCharsets.US_ASCII));
            pos = end + 1;
            return n;
        }
        if (b == 'l') {
            pos++;
            List<Object> list = new ArrayList<>();
            while (data[pos] != 'e') {
                list.add(value());
            }
            pos++;
            return list;
        }
        if (b == 'd') {
            return dictionary(false);
        }
        return string();
    }

    private Map<String, Object> dictionary(boolean top) {
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        byte[] previous = null;
        while (data[pos] != 'e') {
            byte[] key = string();
            if (previous != null && Arrays.compareUnsigned(previous, key) >= 0) {
                throw new IllegalArgumentException("keys not sorted at " + pos);
            }
            previous = key;
            int start = pos;
            Object value = value();
            String name = new String(key, StandardCharsets.UTF_8);
            map.put(name, value);
            if (top) {
                rawTopLevel.put(name, Arrays.copyOfRange(data, start, pos));
            }
        }
        pos++;
        return map;
    }

    private byte[] string() {
        int colon = indexOf(':');
        int length = Integer.parseInt(new String(data, pos, colon - pos, StandardCharsets.US_ASCII));
        byte[] s = Arrays.copyOfRange(data, colon + 1, colon + 1 + length);
        pos = colon + 1 + length;
        return s;
    }

    private int indexOf(char c) {
        for (int i = pos; i < data.length; i++) {
            if (data[i] == c) {
                return i;
            }
        }
        throw new IllegalArgumentException("missing '" + c + "' after " + pos);
    }
}
