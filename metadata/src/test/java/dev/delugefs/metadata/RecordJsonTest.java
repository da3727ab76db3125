package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordJsonTest {

    static final String WRITER = "0123456789abcdef0123456789abcdef";
    static final String CONTENT_ID = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";

    static Record file(long size) {
        byte[] pieces = new byte[20 * (int) ((size + 1023) / 1024)];
        Arrays.fill(pieces, (byte) 0xAB);
        return Record.builder(Record.Type.FILE).size(size).mode(0644).uid(1000).gid(1000)
                .mtime(1_700_000_000_123_456_789L).ctime(1_700_000_000_999_000_000L)
                .content(new Record.Content(CONTENT_ID, 1024, pieces)).clock(42L << 16 | 3).writer(WRITER).build();
    }

    private static String json(Record r) {
        return new String(RecordJson.toJson(r), StandardCharsets.US_ASCII);
    }

    @Test
    void canonicalFormIsExact() {
        Record r = Record.builder(Record.Type.FILE).size(5).mode(0644).uid(0).gid(-2)
                .mtime(1_000_000_001L).ctime(2_000_000_002L)
                .xattr("user.b", new byte[]{0, (byte) 0xFF}).xattr("user.a", "hi".getBytes(StandardCharsets.US_ASCII))
                .content(new Record.Content(CONTENT_ID, 16384, new byte[20])).clock(99).writer(WRITER).build();
        assertThat(json(r)).isEqualTo("{\"clock\":99,"
                + "\"content\":{\"id\":\"" + CONTENT_ID + "\",\"pieceLength\":16384,\"pieces\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"},"
                + "\"ctime\":2000000002,\"gid\":4294967294,\"mode\":420,\"mtime\":1000000001,\"size\":5,"
                + "\"type\":\"file\",\"uid\":0,\"writer\":\"" + WRITER + "\","
                + "\"xattrs\":{\"user.a\":\"aGk=\",\"user.b\":\"AP8=\"}}\n");
    }

    @Test
    void emptyAndNullFieldsAreLeftOutAndKeysAreSorted() {
        Record dir = Record.builder(Record.Type.DIR).mode(0755).clock(1).writer(WRITER).build();
        String text = json(dir);
        assertThat(text).isEqualTo("{\"clock\":1,\"ctime\":0,\"gid\":0,\"mode\":493,\"mtime\":0,\"size\":0,"
                + "\"type\":\"dir\",\"uid\":0,\"writer\":\"" + WRITER + "\"}\n");
        assertThat(text).doesNotContain("xattrs", "content", "target");
        assertThat(text.indexOf('\n')).isEqualTo(text.length() - 1);
    }

    @Test
    void symlinkTargetsAndXattrNamesAreEscaped() {
        String rawTarget = "../%x/\n" + (char) 0xFF;
        Record link = Record.builder(Record.Type.SYMLINK).size(rawTarget.length()).mode(0777).target(rawTarget)
                .xattr("user.\u00e9%", new byte[]{1}).xattr("user.Z", new byte[0]).clock(7).writer(WRITER).build();
        String text = json(link);
        assertThat(text).contains("\"target\":\"../%25x/%0A%FF\"")
                .contains("\"xattrs\":{\"user.%E9%25\":\"AQ==\",\"user.Z\":\"\"}");
        assertThat(RecordJson.fromJson(RecordJson.toJson(link))).isEqualTo(link);
    }

    @Test
    void everyTypeRoundTrips() {
        SortedMap<String, byte[]> xattrs = new TreeMap<>();
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        xattrs.put("user.bin", binary);
        xattrs.put("security.selinux", "system_u:object_r\0".getBytes(StandardCharsets.ISO_8859_1));
        List<Record> records = List.of(
                file(0).toBuilder().content(null).build(),
                file(1),
                file(1024 * 5 + 1).toBuilder().xattrs(xattrs).build(),
                Record.builder(Record.Type.DIR).mode(01777).uid(-1).gid(Integer.MIN_VALUE).xattrs(xattrs)
                        .mtime(-5).ctime(Long.MAX_VALUE).clock(Long.MAX_VALUE).writer(WRITER).build(),
                Record.builder(Record.Type.SYMLINK).target("/abs/target").size(11).clock(3).writer(WRITER).build(),
                Record.tombstone(123456789L, WRITER));
        for (Record r : records) {
            byte[] bytes = RecordJson.toJson(r);
            Record back = RecordJson.fromJson(bytes);
            assertThat(back).isEqualTo(r).hasSameHashCodeAs(r);
            assertThat(RecordJson.toJson(back)).isEqualTo(bytes);
        }
    }

    @Test
    void sameRecordGivesSameBytes() {
        Record a = file(4096).toBuilder().xattr("user.x", new byte[]{1, 2}).xattr("user.a", new byte[]{3}).build();
        Record b = file(4096).toBuilder().xattr("user.a", new byte[]{3}).xattr("user.x", new byte[]{1, 2}).build();
        assertThat(RecordJson.toJson(a)).isEqualTo(RecordJson.toJson(b));
    }

    @Test
    void unknownFieldsAreIgnored() {
        String text = json(Record.tombstone(5, WRITER));
        String newer = text.replace("{\"clock\"", "{\"added\":{\"x\":[1,2]},\"clock\"").replace("}\n", ",\"zzz\":true}\n");
        assertThat(RecordJson.fromJson(newer.getBytes(StandardCharsets.US_ASCII))).isEqualTo(Record.tombstone(5, WRITER));
    }

    @Test
    void malformedInputIsRejectedNamingTheProblem() {
        String good = json(file(10));
        assertRejected("not json", "not valid JSON");
        assertRejected("[1,2]", "object");
        assertRejected(good.replace("\"type\":\"file\"", "\"type\":\"fifo\""), "fifo");
        assertRejected(good.replace("\"mode\":420", "\"mode\":4096"), "mode");
        assertRejected(good.replace("\"mode\":420", "\"mode\":\"420\""), "mode");
        assertRejected(good.replace("\"size\":10", "\"size\":1.5"), "size");
        assertRejected(good.replace("\"size\":10,", ""), "size");
        assertRejected(good.replace("\"uid\":1000", "\"uid\":4294967296"), "uid");
        assertRejected(good.replace("\"writer\":\"" + WRITER + "\"", "\"writer\":\"me\""), "writer");
        assertRejected(good.replace("\"pieces\":\"", "\"pieces\":\"!!"), "pieces");
        assertRejected(good.replace("\"size\":10", "\"size\":99999"), "piece hashes");
        assertRejected(good.replace("\"clock\"", "\"clock\":1,\"clock\""), "clock");
        assertRejected(good.replace("\n", "{}"), "JSON");
        assertRejected(json(Record.tombstone(1, WRITER)).replace("\"clock\"", "\"target\":\"x\",\"clock\""), "target");
        assertRejected(json(Record.tombstone(1, WRITER)).replace("\"clock\"", "\"xattrs\":{\"%zz\":\"\"},\"clock\""),
                "xattr name");
    }

    private static void assertRejected(String json, String mentioned) {
        assertThatThrownBy(() -> RecordJson.fromJson(json.getBytes(StandardCharsets.ISO_8859_1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(mentioned);
    }
}
