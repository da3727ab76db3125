package dev.delugefs.swarm;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/** Disjoint half-open byte ranges {@code [start, end)}; touching or overlapping ranges merge. Not thread-safe. */
final class RangeSet {
    private final TreeMap<Long, Long> endByStart = new TreeMap<>();

    void add(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> before = endByStart.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        for (Map.Entry<Long, Long> next = endByStart.ceilingEntry(start);
             next != null && next.getKey() <= end;
             next = endByStart.ceilingEntry(start)) {
            end = Math.max(end, next.getValue());
            endByStart.remove(next.getKey());
        }
        endByStart.put(start, end);
    }

    /** Forgets everything below {@code position}, then returns the end of the range holding it, or {@code position}. */
    long coveredFrom(long position) {
        endByStart.headMap(position, true).entrySet().removeIf(e -> e.getValue() <= position);
        Map.Entry<Long, Long> holding = endByStart.floorEntry(position);
        return holding == null ? position : holding.getValue();
    }

    /** The start of the first range after {@code position}, or {@link Long#MAX_VALUE}. */
    long nextStartAfter(long position) {
        Long start = endByStart.higherKey(position);
        return start == null ? Long.MAX_VALUE : start;
    }

    /** Cuts every range at {@code limit}. */
    void clipTo(long limit) {
        endByStart.tailMap(limit, true).clear();
        Map.Entry<Long, Long> last = endByStart.lastEntry();
        if (last != null && last.getValue() > limit) {
            endByStart.put(last.getKey(), limit);
        }
    }

    /** Calls {@code action} with the start and end of every range, in order. */
    void forEach(BiConsumer<Long, Long> action) {
        endByStart.forEach(action);
    }

    int size() {
        return endByStart.size();
    }

    void clear() {
        endByStart.clear();
    }
}
