package dev.delugefs.metadata;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the namespace knows about one path: the value stored as a blob in Git and carried in the journal.
 *
 * <p>Immutable: arrays are copied in and out, so a record can be shared between threads and cached.
 * {@code mode} holds permission bits only (the type says what kind of node it is); times are
 * nanoseconds since the epoch; {@code clock} and {@code writer} order concurrent edits in a merge.
 */
public record Record(Type type, long size, int mode, int uid, int gid, long mtime, long ctime,
                     SortedMap<String, byte[]> xattrs, Content content, String target, long clock, String writer) {

    /** Linux XATTR_SIZE_MAX. */
    public static final int MAX_XATTR_VALUE = 65536;
    /** Linux PATH_MAX including the terminating NUL. */
    public static final int MAX_TARGET_BYTES = 4095;

    private static final Pattern NODE_ID = Pattern.compile("[0-9a-f]{32}");

    public enum Type {
        FILE("file"), DIR("dir"), SYMLINK("symlink"), DELETED("deleted");

        private final String json;

        Type(String json) {
            this.json = json;
        }

        /** The spelling in JSON. */
        public String json() {
            return json;
        }

        public static Type fromJson(String value) {
            for (Type t : values()) {
                if (t.json.equals(value)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown record type '" + value + "'");
        }
    }

    /** A file's content as a torrent sees it: the info-hash and the SHA-1 of each piece. */
    public record Content(String id, int pieceLength, byte[] pieces) {
        public static final int PIECE_HASH_BYTES = 20;
        private static final Pattern INFO_HASH = Pattern.compile("[0-9a-f]{40}");

        public Content {
            if (id == null || !INFO_HASH.matcher(id).matches()) {
                throw new IllegalArgumentException("content id must be 40 lowercase hex digits: " + id);
            }
            if (pieceLength <= 0) {
                throw new IllegalArgumentException("piece length must be positive: " + pieceLength);
            }
            if (pieces == null || pieces.length % PIECE_HASH_BYTES != 0) {
                throw new IllegalArgumentException("pieces must be a multiple of 20 bytes, got "
                        + (pieces == null ? "null" : pieces.length));
            }
            pieces = pieces.clone();
        }

        @Override
        public byte[] pieces() {
            return pieces.clone();
        }

        public int pieceCount() {
            return pieces.length / PIECE_HASH_BYTES;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Content c && id.equals(c.id) && pieceLength == c.pieceLength
                    && Arrays.equals(pieces, c.pieces);
        }

        @Override
        public int hashCode() {
            return (id.hashCode() * 31 + pieceLength) * 31 + Arrays.hashCode(pieces);
        }

        @Override
        public String toString() {
            return "Content[" + id + ", pieceLength=" + pieceLength + ", pieces=" + pieceCount() + "]";
        }
    }

    public Record {
        Objects.requireNonNull(type, "type");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode holds permission bits only (07777), got 0"
                    + Integer.toOctalString(mode));
        }
        if (clock < 0) {
            throw new IllegalArgumentException("clock must not be negative: " + clock);
        }
        if (writer == null || !NODE_ID.matcher(writer).matches()) {
            throw new IllegalArgumentException("writer must be a node id of 32 lowercase hex digits: " + writer);
        }
        xattrs = copyXattrs(xattrs);
        if (content != null) {
            if (type != Type.FILE) {
                throw new IllegalArgumentException("only a file has content, not a " + type.json);
            }
            long expected = size == 0 ? 0 : (size - 1) / content.pieceLength() + 1;
            if (content.pieceCount() != expected) {
                throw new IllegalArgumentException("a file of " + size + " bytes in pieces of " + content.pieceLength()
                        + " needs " + expected + " piece hashes, content has " + content.pieceCount());
            }
        }
        if (type == Type.SYMLINK) {
            checkTarget(target);
        } else if (target != null) {
            throw new IllegalArgumentException("only a symlink has a target, not a " + type.json);
        }
        if (type == Type.DELETED && !xattrs.isEmpty()) {
            throw new IllegalArgumentException("a tombstone has no xattrs");
        }
    }

    public static Builder builder(Type type) {
        return new Builder(type);
    }

    /** The record of a deleted path: it wins a merge against older edits, by clock. */
    public static Record tombstone(long clock, String writer) {
        return builder(Type.DELETED).clock(clock).writer(writer).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public boolean isDeleted() {
        return type == Type.DELETED;
    }

    /** A copy: callers may not change the record's values through it. */
    @Override
    public SortedMap<String, byte[]> xattrs() {
        return xattrs.isEmpty() ? xattrs : copyXattrs(xattrs);
    }

    /** One xattr value (a copy), or null. */
    public byte[] xattr(String name) {
        byte[] value = xattrs.get(name);
        return value == null ? null : value.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof Record r && type == r.type && size == r.size && mode == r.mode && uid == r.uid
                && gid == r.gid && mtime == r.mtime && ctime == r.ctime && clock == r.clock
                && writer.equals(r.writer) && Objects.equals(target, r.target)
                && Objects.equals(content, r.content) && xattrsEqual(xattrs, r.xattrs);
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(type, size, mode, uid, gid, mtime, ctime, content, target, clock, writer);
        for (Map.Entry<String, byte[]> e : xattrs.entrySet()) {
            h = h * 31 + e.getKey().hashCode() * 17 + Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Record[").append(type.json)
                .append(", size=").append(size).append(", mode=0").append(Integer.toOctalString(mode))
                .append(", uid=").append(Integer.toUnsignedString(uid))
                .append(", gid=").append(Integer.toUnsignedString(gid))
                .append(", mtime=").append(mtime).append(", ctime=").append(ctime);
        if (!xattrs.isEmpty()) {
            s.append(", xattrs=").append(xattrs.keySet().stream().map(PathCodec::printable).toList());
        }
        if (content != null) {
            s.append(", ").append(content);
        }
        if (target != null) {
            s.append(", target=").append(PathCodec.printable(target));
        }
        return s.append(", clock=").append(clock).append(", writer=").append(writer).append(']').toString();
    }

    private static boolean xattrsEqual(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static SortedMap<String, byte[]> copyXattrs(Map<String, byte[]> source) {
        if (source == null || source.isEmpty()) {
            return Collections.emptySortedMap();
        }
        TreeMap<String, byte[]> copy = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : source.entrySet()) {
            checkXattr(e.getKey(), e.getValue());
            copy.put(e.getKey(), e.getValue().clone());
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    private static void checkXattr(String name, byte[] value) {
        if (name == null || name.isEmpty() || name.length() > PathCodec.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("xattr name must be 1.." + PathCodec.MAX_NAME_BYTES + " bytes: "
                    + PathCodec.printable(name));
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == 0 || c > 0xFF) {
                throw new IllegalArgumentException("xattr name holds a NUL or a non-byte char: "
                        + PathCodec.printable(name));
            }
        }
        if (value == null || value.length > MAX_XATTR_VALUE) {
            throw new IllegalArgumentException("xattr " + PathCodec.printable(name) + " value must be 0.."
                    + MAX_XATTR_VALUE + " bytes");
        }
    }

    private static void checkTarget(String target) {
        if (target == null || target.isEmpty() || target.length() > MAX_TARGET_BYTES) {
            throw new IllegalArgumentException("symlink target must be 1.." + MAX_TARGET_BYTES + " bytes");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == 0 || c > 0xFF) {
                throw new IllegalArgumentException("symlink target holds a NUL or a non-byte char: "
                        + PathCodec.printable(target));
            }
        }
    }

    /** Starts from defaults (all numbers 0, no xattrs, content or target); {@link #build()} validates. */
    public static final class Builder {
        private Type type;
        private long size;
        private int mode;
        private int uid;
        private int gid;
        private long mtime;
        private long ctime;
        private final TreeMap<String, byte[]> xattrs = new TreeMap<>();
        private Content content;
        private String target;
        private long clock;
        private String writer;

        private Builder(Type type) {
            this.type = type;
        }

        private Builder(Record r) {
            this(r.type);
            size = r.size;
            mode = r.mode;
            uid = r.uid;
            gid = r.gid;
            mtime = r.mtime;
            ctime = r.ctime;
            xattrs.putAll(r.xattrs);
            content = r.content;
            target = r.target;
            clock = r.clock;
            writer = r.writer;
        }

        public Builder type(Type value) {
            type = value;
            return this;
        }

        public Builder size(long value) {
            size = value;
            return this;
        }

        public Builder mode(int value) {
            mode = value;
            return this;
        }

        public Builder uid(int value) {
            uid = value;
            return this;
        }

        public Builder gid(int value) {
            gid = value;
            return this;
        }

        public Builder mtime(long value) {
            mtime = value;
            return this;
        }

        public Builder ctime(long value) {
            ctime = value;
            return this;
        }

        /** Replaces all xattrs. */
        public Builder xattrs(Map<String, byte[]> value) {
            xattrs.clear();
            if (value != null) {
                xattrs.putAll(value);
            }
            return this;
        }

        /** Sets one xattr; a null value removes it. The value is copied at {@link #build()}. */
        public Builder xattr(String name, byte[] value) {
            if (value == null) {
                xattrs.remove(name);
            } else {
                xattrs.put(name, value);
            }
            return this;
        }

        public Builder content(Content value) {
            content = value;
            return this;
        }

        public Builder target(String value) {
            target = value;
            return this;
        }

        public Builder clock(long value) {
            clock = value;
            return this;
        }

        public Builder writer(String value) {
            writer = value;
            return this;
        }

        public Record build() {
            return new Record(type, size, mode, uid, gid, mtime, ctime, xattrs, content, target, clock, writer);
        }
    }
}
