package dev.delugefs.replication;

import dev.delugefs.swarm.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Deletes stored content that no record names any more (DESIGN.md §9). Content is collected only after it
 * has been unreferenced for a whole retention window, counted from when a collection first found it
 * unreferenced (and never sooner than the window after it was last sealed): a file deleted and restored,
 * a rename racing a collection, or a seal whose record is not written yet all keep their bytes.
 * One collection at a time; not thread-safe.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    /** The content ids something still needs: every record's, and every open file's. */
    @FunctionalInterface
    public interface References {
        Set<String> contentIds() throws IOException;
    }

    /** What one collection did. */
    public record Report(int stored, int unreferenced, int deleted) {
    }

    private final BlockStore blocks;
    private final References references;
    private final Duration retention;
    private final Clock clock;
    private final Map<String, Instant> unreferencedSince = new HashMap<>();
    private final java.util.function.Consumer<String> collected;

    public GarbageCollector(BlockStore blocks, References references, Duration retention, Clock clock) {
        this(blocks, references, retention, clock, id -> { });
    }

    /**
     * @param collected told each content id deleted, so that whoever still has it open (a seeding
     *                  torrent) lets go of it and its space really comes back
     */
    public GarbageCollector(BlockStore blocks, References references, Duration retention, Clock clock,
                            java.util.function.Consumer<String> collected) {
        if (retention.isNegative()) {
            throw new IllegalArgumentException("retention must not be negative: " + retention);
        }
        this.blocks = blocks;
        this.references = references;
        this.retention = retention;
        this.clock = clock;
        this.collected = collected;
    }

    public Report collect() throws IOException {
        // list before reading the references: content sealed in between is missing from the listing,
        // never present in the listing and missing from the references
        Map<String, Instant> stored = blocks.stored();
        Set<String> referenced = references.contentIds();
        Instant now = clock.instant();
        Instant cutoff = now.minus(retention);
        unreferencedSince.keySet().retainAll(stored.keySet());
        int unreferenced = 0;
        int deleted = 0;
        for (Map.Entry<String, Instant> e : stored.entrySet()) {
            String id = e.getKey();
            if (referenced.contains(id)) {
                unreferencedSince.remove(id);
                continue;
            }
            unreferenced++;
            Instant since = unreferencedSince.computeIfAbsent(id, k -> now);
            if (!since.isAfter(cutoff) && !e.getValue().isAfter(cutoff) && blocks.delete(id)) {
                unreferencedSince.remove(id);
                deleted++;
                collected.accept(id);
            }
        }
        if (deleted > 0) {
            log.info("collected {} unreferenced content(s); {} stored, {} still waiting out the retention window",
                    deleted, stored.size() - deleted, unreferenced - deleted);
        }
        return new Report(stored.size(), unreferenced, deleted);
    }
}
