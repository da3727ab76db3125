package dev.delugefs.replication;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which content this node has used lately: opened for reading through the mount, or fetched here (a pin,
 * a mirror request). Replication does not drop such a copy (DESIGN.md §9): whoever read a file is likely
 * to read it again, and a copy just made should not be trimmed the next round. Thread-safe; FUSE threads
 * mark, the census asks.
 */
public final class RecentUse {
    private final Duration window;
    private final Clock clock;
    private final Map<String, Instant> lastUse = new ConcurrentHashMap<>();

    public RecentUse(Duration window, Clock clock) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("the recent-use window must not be negative: " + window);
        }
        this.window = window;
        this.clock = clock;
    }

    /** Marks a content as used now. */
    public void use(String contentId) {
        if (!window.isZero()) {
            lastUse.put(contentId, clock.instant());
        }
    }

    /** Whether the content was used within the window. */
    public boolean isRecent(String contentId) {
        Instant at = lastUse.get(contentId);
        if (at == null) {
            return false;
        }
        if (at.isBefore(clock.instant().minus(window))) {
            lastUse.remove(contentId, at);  // so the map holds only what is in use, not all ever read
            return false;
        }
        return true;
    }

    public Duration window() {
        return window;
    }
}
