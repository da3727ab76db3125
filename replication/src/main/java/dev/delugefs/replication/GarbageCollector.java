package dev.delugefs.replication;

import dev.delugefs.swarm.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
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

    /** Whoever holds content files open (a torrent): told what is collected, so its space really comes back. */
    @FunctionalInterface
    public interface Holder {
        /**
         * Lets go of the content's file. For content being fetched, answers false while it must keep the
         * file (its download cannot be undone, bt #146): such content waits for a later collection.
         */
        boolean release(String contentId);
    }

    private final BlockStore blocks;
    private final References references;
    private final Duration retention;
    private final Clock clock;
    private final Map<String, Instant> unreferencedSince = new HashMap<>();
    private final Holder holder;

    public GarbageCollector(BlockStore blocks, References references, Duration retention, Clock clock) {
        this(blocks, references, retention, clock, id -> true);
    }

    public GarbageCollector(BlockStore blocks, References references, Duration retention, Clock clock,
                            Holder holder) {
        if (retention.isNegative()) {
            throw new IllegalArgumentException("retention must not be negative: " + retention);
        }
        this.blocks = blocks;
        this.references = references;
        this.retention = retention;
        this.clock = clock;
        this.holder = holder;
    }

    /**
     * One collection over complete content and over partly fetched content (pieces of a file read here
     * and deleted since): both go once unreferenced for the window, and, for partial content, untouched
     * by a fetch for as long.
     */
    public Report collect() throws IOException {
        // list before reading the references: content sealed in between is missing from the listing,
        // never present in the listing and missing from the references
        Map<String, Instant> stored = blocks.stored();
        Map<String, Instant> partial = blocks.partial();
        Set<String> referenced = references.contentIds();
        Instant now = clock.instant();
        Instant cutoff = now.minus(retention);
        unreferencedSince.keySet().removeIf(id -> !stored.containsKey(id) && !partial.containsKey(id));
        int unreferenced = 0;
        int deleted = 0;
        for (Map<String, Instant> listing : List.of(stored, partial)) {
            boolean complete = listing == stored;
            for (Map.Entry<String, Instant> e : listing.entrySet()) {
                String id = e.getKey();
                if (referenced.contains(id)) {
                    unreferencedSince.remove(id);
                    continue;
                }
                unreferenced++;
                Instant since = unreferencedSince.computeIfAbsent(id, k -> now);
                if (since.isAfter(cutoff) || e.getValue().isAfter(cutoff)) {
                    continue;
                }
                // complete content is deleted first, so that no new torrent can start on it; a fetch must
                // let go of its file before it is deleted under it
                boolean gone;
                if (complete) {
                    gone = blocks.delete(id);
                    if (gone) {
                        holder.release(id);
                    }
                } else {
                    gone = holder.release(id) && blocks.delete(id);
                }
                if (gone) {
                    unreferencedSince.remove(id);
                    deleted++;
                }
            }
        }
        if (deleted > 0) {
            log.info("collected {} unreferenced content(s), complete or partial; {} left, {} of them waiting out "
                    + "the retention window", deleted, stored.size() + partial.size() - deleted, unreferenced - deleted);
        }
        return new Report(stored.size() + partial.size(), unreferenced, deleted);
    }
}
