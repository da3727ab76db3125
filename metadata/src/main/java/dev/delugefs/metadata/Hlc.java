package dev.delugefs.metadata;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: wall-clock milliseconds in the high 48 bits, a counter in the low 16.
 *
 * <p>Values stay close to real time (useful in conflict names and logs) yet never go backwards,
 * even when the wall clock does, and after {@link #observe} they are ahead of every clock seen
 * from a peer, so a later edit here always orders after the edit it replaced.
 */
public final class Hlc {

    private static final int COUNTER_BITS = 16;

    private final LongSupplier wallMillis;
    private final AtomicLong last = new AtomicLong();

    public Hlc() {
        this(System::currentTimeMillis);
    }

    /** For tests: a controllable wall clock. */
    Hlc(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    /** Strictly greater than every value returned or observed before. */
    public long now() {
        long physical = wallMillis.getAsLong() << COUNTER_BITS;
        // when the counter overflows the carry moves the clock 1 ms ahead of real time, which is harmless
        return last.updateAndGet(prev -> Math.max(prev + 1, physical));
    }

    /** Merges a clock read from a peer's record, so the next {@link #now()} is greater than it. */
    public void observe(long remote) {
        last.accumulateAndGet(remote, Math::max);
    }

    public static long wallMillis(long clock) {
        return clock >>> COUNTER_BITS;
    }
}
