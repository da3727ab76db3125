package dev.delugefs.replication;

import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Re-reads every complete copy on this node and checks it against the piece hashes of its record, so
 * that bits rotted on the disk are found before anyone relies on them: a damaged copy no longer counts
 * as a copy, serves nothing, and its damaged pieces (only those) are fetched again from the peers. Until
 * then, reads of its intact pieces stay local and reads of the others go to the peers, as for any content
 * being fetched. One pass at a time.
 */
public final class Scrubber {
    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);

    /** The node's side of a repair. */
    public interface Repair {
        /** Stops serving the content, before its file changes from complete to being fetched. */
        void release(String contentId);

        /** Fetches the pieces of content now partial (in the background; failures are logged). */
        void refetch(ContentInfo content);
    }

    /** One content found damaged: which, and how many of its pieces. */
    public record Damage(String contentId, int damagedPieces, int pieces) {
    }

    /** What a pass did. */
    public record Report(Instant finishedAt, int checked, long bytes, List<Damage> damaged) {
        public Report {
            damaged = List.copyOf(damaged);
        }
    }

    private final BlockStore blocks;
    private final Supplier<Map<String, ContentInfo>> contents;
    private final Repair repair;
    private final long bytesPerSecond;

    /**
     * @param contents       every content the records name, with its piece hashes
     * @param bytesPerSecond how fast a background pass may read (0: as fast as the disk goes)
     */
    public Scrubber(BlockStore blocks, Supplier<Map<String, ContentInfo>> contents, Repair repair,
                    long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("the scrub rate must not be negative");
        }
        this.blocks = blocks;
        this.contents = contents;
        this.repair = repair;
        this.bytesPerSecond = bytesPerSecond;
    }

    /** A pass over every complete copy a record names; {@code throttled} keeps to the rate. */
    public synchronized Report scrub(boolean throttled) throws IOException, InterruptedException {
        Map<String, ContentInfo> named = contents.get();
        int checked = 0;
        long bytes = 0;
        List<Damage> damaged = new ArrayList<>();
        long started = System.nanoTime();
        for (String id : new TreeMap<>(blocks.stored()).keySet()) {
            ContentInfo content = named.get(id);
            if (content == null || content.length() == 0) {
                continue;  // unreferenced: the garbage collector's, not worth a read
            }
            BitSet bad;
            try {
                bad = blocks.damagedPieces(content);
            } catch (NoSuchFileException e) {
                continue;  // collected or trimmed meanwhile
            }
            checked++;
            bytes += content.length();
            if (!bad.isEmpty()) {
                damaged.add(new Damage(id, bad.cardinality(), content.pieceCount()));
                log.error("the copy of {} on this disk is damaged: {} of {} pieces fail their hash; it no longer "
                        + "counts as a copy, and those pieces are fetched again from the peers", id,
                        bad.cardinality(), content.pieceCount());
                repair.release(id);
                blocks.reopenDamaged(content, bad);
                repair.refetch(content);
            }
            if (throttled && bytesPerSecond > 0) {
                long dueNanos = (long) (bytes * 1e9 / bytesPerSecond);
                long aheadMillis = (dueNanos - (System.nanoTime() - started)) / 1_000_000;
                if (aheadMillis > 0) {
                    Thread.sleep(aheadMillis);
                }
            }
        }
        if (!damaged.isEmpty() || checked > 0) {
            log.info("scrubbed {} copies ({} MiB): {} damaged", checked, bytes >> 20, damaged.size());
        }
        return new Report(Instant.now(), checked, bytes, damaged);
    }
}
