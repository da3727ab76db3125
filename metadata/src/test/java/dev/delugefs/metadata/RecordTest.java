package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static dev.delugefs.metadata.RecordJsonTest.WRITER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordTest {

    @Test
    void arraysAreCopiedInAndOut() {
        byte[] value = {1, 2, 3};
        Map<String, byte[]> xattrs = new HashMap<>();
        xattrs.put("user.v", value);
        Record r = Record.builder(Record.Type.DIR).xattrs(xattrs).writer(WRITER).build();
        value[0] = 9;
        xattrs.put("user.other", new byte[0]);
        assertThat(r.xattrs()).containsOnlyKeys("user.v");
        r.xattrs().get("user.v")[1] = 9;
        assertThat(r.xattr("user.v")).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> r.xattrs().clear()).isInstanceOf(UnsupportedOperationException.class);

        byte[] pieces = new byte[20];
        Record.Content c = new Record.Content(RecordJsonTest.CONTENT_ID, 1 << 20, pieces);
        pieces[0] = 7;
        c.pieces()[1] = 7;
        assertThat(c.pieces()).containsOnly(0);
    }

    @Test
    void equalityComparesBytes() {
        Record a = RecordJsonTest.file(3000).toBuilder().xattr("user.x", new byte[]{1}).build();
        Record b = RecordJsonTest.file(3000).toBuilder().xattr("user.x", new byte[]{1}).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(a.toBuilder().xattr("user.x", new byte[]{2}).build());
        assertThat(a).isNotEqualTo(a.toBuilder().clock(a.clock() + 1).build());
        assertThat(a.toBuilder().build()).isEqualTo(a);
        assertThat(a.toString()).contains("file", "size=3000", "mode=0644");
    }

    @Test
    void tombstoneIsMinimal() {
        Record t = Record.tombstone(77, WRITER);
        assertThat(t.type()).isEqualTo(Record.Type.DELETED);
        assertThat(t.isDeleted()).isTrue();
        assertThat(t.clock()).isEqualTo(77);
        assertThat(t.writer()).isEqualTo(WRITER);
        assertThat(t.xattrs()).isEmpty();
        assertThat(t.content()).isNull();
        assertThat(t.target()).isNull();
    }

    @Test
    void invalidRecordsAreRefused() {
        Record.Builder file = RecordJsonTest.file(10).toBuilder();
        assertThatThrownBy(() -> file.mode(0100644).build()).hasMessageContaining("permission bits");
        assertThatThrownBy(() -> RecordJsonTest.file(10).toBuilder().size(-1).build()).hasMessageContaining("size");
        assertThatThrownBy(() -> RecordJsonTest.file(10).toBuilder().writer(null).build()).hasMessageContaining("writer");
        assertThatThrownBy(() -> RecordJsonTest.file(10).toBuilder().type(Record.Type.DIR).build())
                .hasMessageContaining("only a file has content");
        assertThatThrownBy(() -> Record.builder(Record.Type.SYMLINK).writer(WRITER).build())
                .hasMessageContaining("target");
        assertThatThrownBy(() -> Record.builder(Record.Type.FILE).target("x").writer(WRITER).build())
                .hasMessageContaining("only a symlink");
        assertThatThrownBy(() -> Record.builder(Record.Type.DELETED).xattr("user.a", new byte[0]).writer(WRITER).build())
                .hasMessageContaining("tombstone");
        assertThatThrownBy(() -> Record.builder(Record.Type.DIR).xattr("", new byte[0]).writer(WRITER).build())
                .hasMessageContaining("xattr name");
        assertThatThrownBy(() -> Record.builder(Record.Type.DIR).xattr("user.big", new byte[65537]).writer(WRITER).build())
                .hasMessageContaining("65536");
        assertThatThrownBy(() -> new Record.Content("ABC", 1, new byte[0])).hasMessageContaining("40 lowercase hex");
        assertThatThrownBy(() -> new Record.Content(RecordJsonTest.CONTENT_ID, 1, new byte[19])).hasMessageContaining("20");
    }

    @Test
    void changeKeepsTheRootADirectory() {
        assertThatThrownBy(() -> new Change("/", Record.tombstone(1, WRITER))).hasMessageContaining("root");
        assertThatThrownBy(() -> new Change("a", Record.tombstone(1, WRITER))).hasMessageContaining("'/'");
        assertThat(new Change("/x", Record.tombstone(1, WRITER)).path()).isEqualTo("/x");
    }
}
