package dev.delugefs.replication;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecentUseTest {
    private final SettableClock clock = new SettableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aContentIsRecentForTheWindowAfterItsLastUse() {
        RecentUse recent = new RecentUse(Duration.ofMinutes(10), clock);
        assertThat(recent.isRecent("x")).isFalse();
        recent.use("x");
        clock.set(clock.instant().plus(Duration.ofMinutes(9)));
        assertThat(recent.isRecent("x")).isTrue();
        recent.use("x");
        clock.set(clock.instant().plus(Duration.ofMinutes(9)));
        assertThat(recent.isRecent("x")).as("used again: the window starts again").isTrue();
        clock.set(clock.instant().plus(Duration.ofMinutes(2)));
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
