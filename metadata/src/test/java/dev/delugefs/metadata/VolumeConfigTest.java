package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VolumeConfigTest {

    @Test
    void createsWithDefaultsAndRoundTrips() {
        VolumeConfig v = VolumeConfig.create("photos");
        assertThat(v.id()).matches("[0-9a-f]{32}");
        assertThat(v.replication()).isEqualTo(2);
        assertThat(v.pieceLength()).isEqualTo(VolumeConfig.DEFAULT_PIECE_LENGTH).isEqualTo(1 << 20);
        assertThat(VolumeConfig.fromJson(v.toJson())).isEqualTo(v);
        assertThat(VolumeConfig.create("photos").id()).isNotEqualTo(v.id());
    }

    @Test
    void jsonIsCanonical() {
        VolumeConfig v = new VolumeConfig("a.b_c-9", "0123456789abcdef0123456789abcdef", 3, 16384, 1234);
        assertThat(new String(v.toJson(), StandardCharsets.US_ASCII)).isEqualTo(
                "{\"createdAt\":1234,\"id\":\"0123456789abcdef0123456789abcdef\",\"name\":\"a.b_c-9\","
                        + "\"pieceLength\":16384,\"replication\":3}\n");
    }

    @Test
    void validatesWithClearMessages() {
        assertThatThrownBy(() -> VolumeConfig.create("-bad", 2, 1 << 20)).hasMessageContaining("volume name");
        assertThatThrownBy(() -> VolumeConfig.create("", 2, 1 << 20)).hasMessageContaining("volume name");
        assertThatThrownBy(() -> VolumeConfig.create("a".repeat(64), 2, 1 << 20)).hasMessageContaining("volume name");
        assertThat(VolumeConfig.create("a".repeat(63), 2, 1 << 20).name()).hasSize(63);
        assertThatThrownBy(() -> VolumeConfig.create("v", 0, 1 << 20)).hasMessageContaining("replication");
        assertThatThrownBy(() -> VolumeConfig.create("v", 17, 1 << 20)).hasMessageContaining("replication");
        assertThatThrownBy(() -> VolumeConfig.create("v", 2, 3 << 20)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> VolumeConfig.create("v", 2, 8192)).hasMessageContaining("16 KiB");
        assertThatThrownBy(() -> VolumeConfig.create("v", 2, 32 << 20)).hasMessageContaining("16 MiB");
        assertThat(VolumeConfig.create("v", 16, 16 << 20).withReplication(1).replication()).isEqualTo(1);
        assertThatThrownBy(() -> VolumeConfig.fromJson("{\"name\":\"v\"}".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("volume.json").hasMessageContaining("id");
    }
}
