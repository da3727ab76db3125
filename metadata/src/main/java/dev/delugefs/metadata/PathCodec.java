package dev.delugefs.metadata;

/**
 * Maps raw names (bytes as ISO-8859-1 chars) to Git tree entry names and back.
 *
 * <p>Git refuses some segments ({@code .git}, {@code .}, {@code ..}) and tools choke on control bytes,
 * so a segment percent-encodes {@code %}, bytes below 0x20, 0x7F, bytes from 0x80, a leading dot, and
 * the '~' of a name starting with {@code git~1} (any case).
 * Encoding {@code %} itself keeps the mapping injective and guarantees that no user name can become
 * the reserved entry {@code %dir}. Every encoded segment is printable ASCII without a leading dot.
 * Decoding is strict: only the canonical encoding of a name is accepted, so one name has one blob path.
 */
public final class PathCodec {

    /** Linux NAME_MAX, in bytes. */
    public static final int MAX_NAME_BYTES = 255;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PathCodec() {
    }

    public static String encodeSegment(String rawName) {
        checkName(rawName);
        return percentEncode(rawName, true);
    }

    public static String decodeSegment(String encoded) {
        String raw = percentDecode(encoded);
        try {
            checkName(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("encoded segment '" + encoded + "' decodes to an invalid name: "
                    + e.getMessage(), e);
        }
        requireCanonical(encoded, percentEncode(raw, true));
        return raw;
    }

    /** "/" becomes "" and "/a/b" becomes "a/b", each segment encoded. */
    public static String encodePath(String rawPath) {
        checkPath(rawPath);
        if (rawPath.length() == 1) {
            return "";
        }
        StringBuilder out = new StringBuilder(rawPath.length() + 8);
        int start = 1;
        while (start <= rawPath.length()) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? rawPath.length() : slash;
            if (start > 1) {
                out.append('/');
            }
            out.append(encodeSegment(rawPath.substring(start, end)));
            start = end + 1;
        }
        return out.toString();
    }

    public static String decodePath(String encodedPath) {
        if (encodedPath == null) {
            throw new IllegalArgumentException("encoded path is null");
        }
        if (encodedPath.isEmpty()) {
            return "/";
        }
        StringBuilder out = new StringBuilder(encodedPath.length() + 1);
        for (String segment : encodedPath.split("/", -1)) {
            out.append('/').append(decodeSegment(segment));
        }
        return out.toString();
    }

    /** Throws unless {@code rawPath} is absolute, has no empty segments and no trailing slash. */
    public static void checkPath(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw new IllegalArgumentException("raw path must start with '/': " + printable(rawPath));
        }
        if (rawPath.length() == 1) {
            return;
        }
        if (rawPath.endsWith("/")) {
            throw new IllegalArgumentException("raw path must not end with '/': " + printable(rawPath));
        }
        int start = 1;
        while (start <= rawPath.length()) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? rawPath.length() : slash;
            try {
                checkName(rawPath.substring(start, end));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad raw path " + printable(rawPath) + ": " + e.getMessage(), e);
            }
            start = end + 1;
        }
    }

    /** Same percent rules as a segment but keeps a leading dot, and allows '/' and "" (symlink targets, xattr names). */
    public static String escape(String raw) {
        if (raw == null) {
            throw new IllegalArgumentException("cannot escape null");
        }
        checkBytes(raw);
        return percentEncode(raw, false);
    }

    public static String unescape(String escaped) {
        String raw = percentDecode(escaped);
        checkBytes(raw);
        requireCanonical(escaped, percentEncode(raw, false));
        return raw;
    }

    private static void checkName(String raw) {
        if (raw == null || raw.isEmpty()) {
            throw new IllegalArgumentException("name is empty");
        }
        if (raw.equals(".") || raw.equals("..")) {
            throw new IllegalArgumentException("name '" + raw + "' is reserved");
        }
        if (raw.length() > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("name is " + raw.length() + " bytes, more than " + MAX_NAME_BYTES);
        }
        checkBytes(raw);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '/' || c == 0) {
                throw new IllegalArgumentException("name contains " + (c == 0 ? "NUL" : "'/'") + ": " + printable(raw));
            }
        }
    }

    private static void checkBytes(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) > 0xFF) {
                throw new IllegalArgumentException("char U+" + Integer.toHexString(raw.charAt(i))
                        + " at index " + i + " is not a byte: raw strings hold ISO-8859-1 decoded bytes");
            }
        }
    }

    private static boolean needsEncoding(String raw, int i, boolean segmentRules) {
        char c = raw.charAt(i);
        if (c == '%' || c < 0x20 || c >= 0x7F) {
            return true;
        }
        return segmentRules && ((i == 0 && c == '.') || (i == 3 && isGitTilde1(raw)));
    }

    /**
     * "git~1" is the NTFS short name of ".git": JGit refuses the segment itself, and git fsck any
     * segment starting with it (then dots, spaces, a backslash), so its '~' is encoded too.
     */
    private static boolean isGitTilde1(String raw) {
        return raw.length() >= 5 && (raw.charAt(0) | 0x20) == 'g' && (raw.charAt(1) | 0x20) == 'i'
                && (raw.charAt(2) | 0x20) == 't' && raw.charAt(3) == '~' && raw.charAt(4) == '1';
    }

    private static String percentEncode(String raw, boolean segmentRules) {
        StringBuilder out = null;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (needsEncoding(raw, i, segmentRules)) {
                if (out == null) {
                    out = new StringBuilder(raw.length() + 16).append(raw, 0, i);
                }
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? raw : out.toString();
    }

    private static String percentDecode(String encoded) {
        if (encoded == null) {
            throw new IllegalArgumentException("cannot decode null");
        }
        if (encoded.indexOf('%') < 0) {
            return encoded;
        }
        StringBuilder out = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int hi = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(encoded.charAt(i + 2), 16) : -1;
            if (lo < 0) {
                throw new IllegalArgumentException("malformed percent escape at index " + i + " in '" + encoded + "'");
            }
            out.append((char) (hi << 4 | lo));
            i += 2;
        }
        return out.toString();
    }

    /**
     * Re-encoding and comparing rejects lowercase hex, escapes of bytes that stay literal, and literal
     * bytes that must be escaped, in one rule.
     */
    private static void requireCanonical(String given, String canonical) {
        if (!given.equals(canonical)) {
            throw new IllegalArgumentException("'" + printable(given) + "' is not canonically encoded (expected '"
                    + printable(canonical) + "')");
        }
    }

    /** For messages: raw strings may hold control bytes that would garble a log line. */
    static String printable(String raw) {
        if (raw == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xFF)) {
                out.append("\\x").append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
