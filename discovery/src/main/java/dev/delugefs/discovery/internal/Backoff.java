package dev.delugefs.discovery.internal;

import java.time.Duration;

/** Doubling delays between retries of an unreachable peer, so a peer that is off for a day costs little. */
public final class Backoff {
    private final Duration min;
    private final Duration max;
    private Duration next;

    public Backoff(Duration min, Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < min <= max, got " + min + ", " + max);
        }
        this.min = min;
        this.max = max;
        this.next = min;
    }

    public synchronized Duration next() {
        Duration now = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        return now;
    }

    public synchronized void reset() {
        next = min;
    }
}
