package dev.delugefs.replication;

import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class GarbageCollectorTest {
    private static final Duration RETENTION = Duration.ofMinutes(5);

    @TempDir
    Path root;
    private BlockStore blocks;
    private final Set<String> referenced = new HashSet<>();
    private final SettableClock clock = new SettableClock(Instant.now());

    @BeforeEach
    void open() throws IOException {
        blocks = BlockStore.open(root);
    }

    @AfterEach
    void close() throws IOException {
        blocks.close();
    }

    private String store(int seed) throws IOException {
        try (ContentWriter w = blocks.create(BlockStore.MIN_PIECE_LENGTH)) {
            byte[] data = new byte[1000 + seed];
            new java.util.Random(seed).nextBytes(data);
            w.write(ByteBuffer.wrap(data), 0);
            ContentInfo info = w.seal();
            return info.id();
        }
    }

    /** Pieces of a content fetched here in part, as the swarm leaves them: the file and its bitmap beside it. */
    private String partial(int seed) throws IOException {
        String id = String.format("%040x", seed);
        Path file = root.resolve("blocks").resolve(id.substring(0, 2)).resolve(id);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[4096]);
        Files.write(file.resolveSibling(id + ".bitmap"), new byte[] {1});
        return id;
    }

    private boolean partialExists(String id) {
        return Files.exists(root.resolve("blocks").resolve(id.substring(0, 2)).resolve(id));
    }

    private GarbageCollector collector() {
        return collector(id -> true);
    }

    private GarbageCollector collector(GarbageCollector.Holder holder) {
        return new GarbageCollector(blocks, () -> Set.copyOf(referenced), RETENTION, clock, holder);
    }

    @Test
    void unreferencedContentGoesOnlyAfterAWholeRetentionWindow() throws IOException {
        String kept = store(1);
        String dropped = store(2);
        referenced.add(kept);
        clock.set(Instant.now().plus(Duration.ofHours(1)));
        GarbageCollector gc = collector();

        assertThat(gc.collect().deleted()).as("first seen unreferenced: the window starts now").isZero();
        clock.set(clock.instant().plus(RETENTION.minusSeconds(1)));
        assertThat(gc.collect().deleted()).isZero();
        clock.set(clock.instant().plusSeconds(2));
        GarbageCollector.Report report = gc.collect();
        assertThat(report.deleted()).isEqualTo(1);
        assertThat(blocks.has(dropped)).isFalse();
        assertThat(blocks.has(kept)).isTrue();
    }

    @Test
    void contentReferencedAgainWithinTheWindowIsKept() throws IOException {
        String id = store(3);
        clock.set(Instant.now().plus(Duration.ofHours(1)));
        GarbageCollector gc = collector();
        gc.collect();
        referenced.add(id);
        clock.set(clock.instant().plus(RETENTION).plusSeconds(1));
        gc.collect();
        referenced.remove(id);
        clock.set(clock.instant().plus(RETENTION).minusSeconds(1));
        assertThat(gc.collect().deleted()).as("the window restarted when it was referenced again").isZero();
        assertThat(blocks.has(id)).isTrue();
    }

    @Test
    void contentIsKeptForAWholeWindowAfterItsLastSeal() throws IOException {
        String id = store(4);
        Instant sealed = blocks.stored().get(id);
        GarbageCollector gc = collector();
        // seen unreferenced long ago (a clock that says so), but sealed just now: a record may be on its way
        clock.set(sealed.minus(RETENTION));
        gc.collect();
        clock.set(sealed.plus(RETENTION.dividedBy(2)));
        assertThat(gc.collect().deleted()).isZero();
        assertThat(blocks.has(id)).isTrue();
        clock.set(sealed.plus(RETENTION).plusSeconds(1));
        assertThat(gc.collect().deleted()).isEqualTo(1);
    }

    @Test
    void partlyFetchedContentOfADeletedFileGoesAfterTheWindowAndReferencedPiecesStay() throws IOException {
        String deleted = partial(0xd1);
        String read = partial(0xd2);
        referenced.add(read);
        assertThat(blocks.partial()).containsOnlyKeys(deleted, read);
        assertThat(blocks.stored()).as("partial content is no copy").isEmpty();
        clock.set(Instant.now().plus(Duration.ofHours(1)));
        GarbageCollector gc = collector();
        assertThat(gc.collect().deleted()).isZero();
        clock.set(clock.instant().plus(RETENTION).plusSeconds(1));
        assertThat(gc.collect().deleted()).isEqualTo(1);
        assertThat(partialExists(deleted)).isFalse();
        assertThat(blocks.partial()).containsOnlyKeys(read);
    }

    @Test
    void partialContentWhoseFetchHoldsItWaitsUntilTheFetchLetsGo() throws IOException {
        String id = partial(0xd3);
        Set<String> released = new HashSet<>();
        boolean[] fetching = {true};
        GarbageCollector gc = collector(contentId -> {
            if (fetching[0]) {
                return false;
            }
            released.add(contentId);
            return true;
        });
        clock.set(Instant.now().plus(Duration.ofHours(1)));
        gc.collect();
        clock.set(clock.instant().plus(RETENTION).plusSeconds(1));
        assertThat(gc.collect().deleted()).as("the fetch still has the file").isZero();
        assertThat(partialExists(id)).isTrue();
        fetching[0] = false;
        assertThat(gc.collect().deleted()).isEqualTo(1);
        assertThat(released).containsExactly(id);
        assertThat(partialExists(id)).isFalse();
    }

    @Test
    void partialContentThatGotAPieceWithinTheWindowIsKept() throws IOException {
        String id = partial(0xd4);
        Instant pieceArrived = blocks.partial().get(id);
        GarbageCollector gc = collector();
        clock.set(pieceArrived.minus(RETENTION));
        gc.collect();
        clock.set(pieceArrived.plus(RETENTION.dividedBy(2)));
        assertThat(gc.collect().deleted()).isZero();
        clock.set(pieceArrived.plus(RETENTION).plusSeconds(1));
        assertThat(gc.collect().deleted()).isEqualTo(1);
    }
}
