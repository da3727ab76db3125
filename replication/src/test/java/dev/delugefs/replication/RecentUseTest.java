package dev.delugefs.replication;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecentUseTest {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Test
    void aContentIsRecentForTheWindowAfterItsLastUse() {
        RecentUse recent = new RecentUse(Duration.ofMinutes(10), clock);
        assertThat(recent.isRecent("x")).isFalse();
        recent.use("x");
        now = now.plus(Duration.ofMinutes(9));
        assertThat(recent.isRecent("x")).isTrue();
        recent.use("x");
        now = now.plus(Duration.ofMinutes(9));
        assertThat(recent.isRecent("x")).as("used again: the window starts again").isTrue();
        now = now.plus(Duration.ofMinutes(2));
        assertThat(recent.isRecent("x")).isFalse();
        assertThat(recent.isRecent("y")).isFalse();
    }

    @Test
    void aZeroWindowKeepsNothing() {
        RecentUse recent = new RecentUse(Duration.ZERO, clock);
        recent.use("x");
        assertThat(recent.isRecent("x")).isFalse();
        assertThatThrownBy(() -> new RecentUse(Duration.ofSeconds(-1), clock))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
