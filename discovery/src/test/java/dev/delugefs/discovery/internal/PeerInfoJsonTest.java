package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.PeerInfo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerInfoJsonTest {
    private static final Instant SEEN = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void roundTripsEverythingButWhenItWasSeen() throws IOException {
        PeerInfo info = new PeerInfo("aaaa", "vvvv", List.of(HostPort.parse("[::1]:7000"), HostPort.parse("h:1")),
                6881, "host", "c0ffee", 5_000_000_000L, Instant.EPOCH);

        PeerInfo back = PeerInfoJson.read(PeerInfoJson.write(info), SEEN);

        assertThat(back.sameAs(info)).isTrue();
        assertThat(back.lastSeen()).isEqualTo(SEEN);
    }

    @Test
    void aBadAnswerIsAnIOExceptionNotACrash() {
        for (String bad : List.of("[]", "{\"v\":\"2\",\"node\":\"a\",\"volume\":\"v\"}", "{\"v\":\"1\",\"volume\":\"v\"}",
                "{\"v\":\"1\",\"node\":\"a\",\"volume\":\"v\",\"ssh\":[\"nohost\"]}", "not json")) {
            assertThatThrownBy(() -> PeerInfoJson.read(bad.getBytes(StandardCharsets.UTF_8), SEEN))
                    .as(bad).isInstanceOf(IOException.class);
        }
    }
}
