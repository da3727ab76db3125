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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A pass finds the copies whose bytes no longer match their pieces, and only those are reopened. */
class ScrubberTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;

    @TempDir
    Path root;
    private BlockStore blocks;
    private final Map<String, ContentInfo> named = new HashMap<>();
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        blocks = BlockStore.open(root);
    }

    @AfterEach
    void close() throws IOException {
        blocks.close();
    }

    private ContentInfo store(int seed, int length) throws IOException {
        byte[] data = new byte[length];
        new java.util.Random(seed).nextBytes(data);
        try (ContentWriter w = blocks.create(PIECE)) {
            w.write(ByteBuffer.wrap(data), 0);
            ContentInfo info = w.seal();
            named.put(info.id(), info);
            return info;
        }
    }

    /** Flips one byte of the stored file behind the store's back, as a failing disk would. */
    private void rot(ContentInfo content, long offset) throws IOException {
        Path file = root.resolve("blocks").resolve(content.id().substring(0, 2)).resolve(content.id());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            channel.read(b, offset);
            channel.write(ByteBuffer.wrap(new byte[] {(byte) ~b.get(0)}), offset);
        }
    }

    private Scrubber scrubber() {
        return new Scrubber(blocks, () -> Map.copyOf(named), new Scrubber.Repair() {
            @Override
            public void release(String contentId) {
                events.add("release " + contentId + (blocks.has(contentId) ? " complete" : " partial"));
            }

            @Override
            public void refetch(ContentInfo content) {
                events.add("refetch " + content.id() + (blocks.has(content.id()) ? " complete" : " partial"));
            }
        }, 0);
    }

    @Test
    void aDamagedCopyIsReopenedWithItsIntactPiecesKept() throws Exception {
        ContentInfo intact = store(1, 5 * PIECE);
        ContentInfo damaged = store(2, 5 * PIECE + 100);
        rot(damaged, PIECE + 7);
        rot(damaged, 5L * PIECE + 50);

        Scrubber.Report report = scrubber().scrub(false);

        assertThat(report.checked()).isEqualTo(2);
        assertThat(report.damaged()).containsExactly(new Scrubber.Damage(damaged.id(), 2, 6));
        assertThat(blocks.has(intact.id())).isTrue();
        assertThat(blocks.has(damaged.id())).as("a damaged copy is no copy").isFalse();
        assertThat(blocks.partial()).containsOnlyKeys(damaged.id());
        // the served copy is let go of while still complete, and fetched again once partial
        assertThat(events).containsExactly("release " + damaged.id() + " complete",
                "refetch " + damaged.id() + " partial");
        Path bitmap = root.resolve("blocks").resolve(damaged.id().substring(0, 2)).resolve(damaged.id() + ".bitmap");
        assertThat(Files.readAllBytes(bitmap)).as("pieces 0, 2, 3, 4 intact; 1 and 5 to fetch")
                .containsExactly((byte) 0b10111000);
    }

    @Test
    void intactAndUnreferencedCopiesAreLeftAlone() throws Exception {
        ContentInfo intact = store(3, 3 * PIECE);
        ContentInfo unreferenced = store(4, 2 * PIECE);
        named.remove(unreferenced.id());
        rot(unreferenced, 10);

        Scrubber.Report report = scrubber().scrub(false);

        assertThat(report.checked()).as("only what a record names is read").isEqualTo(1);
        assertThat(report.bytes()).isEqualTo(intact.length());
        assertThat(report.damaged()).isEmpty();
        assertThat(events).isEmpty();
        assertThat(blocks.has(intact.id())).isTrue();
        assertThat(blocks.has(unreferenced.id())).isTrue();
    }
}
