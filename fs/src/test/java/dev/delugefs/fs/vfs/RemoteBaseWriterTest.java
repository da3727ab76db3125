package dev.delugefs.fs.vfs;

import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import dev.delugefs.swarm.ContentWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Changing a file whose old bytes are on another node's store: only pieces still needed are read from it. */
class RemoteBaseWriterTest {
    private static final int PIECE = 16 * 1024;

    @TempDir Path dir;

    @Test
    void fetchesOnlyThePiecesTheChangesKeepAndSealsTheRightBytes() throws IOException {
        byte[] old = random(1, 8 * PIECE - 100);  // 8 pieces, the last one short
        try (BlockStore elsewhere = BlockStore.open(dir.resolve("elsewhere"));
             BlockStore here = BlockStore.open(dir.resolve("here"))) {
            ContentInfo base = seal(elsewhere, old);
            CountingReader remote = new CountingReader(elsewhere.open(base.id()));
            byte[] expected = old.clone();
            try (RemoteBaseWriter writer = new RemoteBaseWriter(here.sparseCopyOf(base), base, remote)) {
                byte[] whole = random(2, 3 * PIECE);
                // pieces 1-3 replaced in half-piece writes, out of order, as the kernel splits them: never fetched
                for (int half : new int[] {3, 0, 5, 1, 4, 2}) {
                    writer.write(ByteBuffer.wrap(whole, half * PIECE / 2, PIECE / 2), PIECE + (long) half * PIECE / 2);
                }
                System.arraycopy(whole, 0, expected, PIECE, whole.length);
                assertThat(remote.pieces).isEmpty();

                writer.write(ByteBuffer.wrap(new byte[] {42}), 5L * PIECE + 7);  // piece 5 keeps the rest...
                expected[5 * PIECE + 7] = 42;
                assertThat(remote.pieces).as("...which is fetched only when needed").isEmpty();

                ByteBuffer read = ByteBuffer.allocate(10);
                writer.read(read, 10);  // piece 0 is read as it was
                assertThat(read.array()).isEqualTo(Arrays.copyOfRange(old, 10, 20));
                assertThat(remote.pieces).containsExactly(0);

                writer.truncate(6L * PIECE + 500);  // piece 6 keeps its head, piece 7 is gone
                expected = Arrays.copyOf(expected, 6 * PIECE + 500);
                assertThat(remote.pieces).containsExactly(0, 6);

                ContentInfo sealed = writer.seal();
                assertThat(remote.pieces).as("pieces 4 and 5 come at the seal; 1-3 and 7 never")
                        .containsExactly(0, 4, 5, 6);
                assertThat(sealed).isEqualTo(ContentInfo.of(expected.length, PIECE, hashesOf(here, expected)));
                assertThat(readAll(here, sealed)).isEqualTo(expected);
            }
        }
    }

    private static byte[] hashesOf(BlockStore store, byte[] bytes) throws IOException {
        return seal(store, bytes).pieces();
    }

    private static ContentInfo seal(BlockStore store, byte[] bytes) throws IOException {
        try (ContentWriter writer = store.create(PIECE)) {
            writer.write(ByteBuffer.wrap(bytes), 0);
            return writer.seal();
        }
    }

    private static byte[] readAll(BlockStore store, ContentInfo content) throws IOException {
        try (ContentReader reader = store.open(content.id())) {
            ByteBuffer all = ByteBuffer.allocate((int) content.length());
            while (all.hasRemaining() && reader.read(all, all.position()) > 0) {
                // until full
            }
            return all.array();
        }
    }

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The other node's content, noting which pieces were asked for. */
    private static final class CountingReader implements ContentReader {
        final Set<Integer> pieces = new TreeSet<>();
        private final ContentReader inner;

        CountingReader(ContentReader inner) {
            this.inner = inner;
        }

        @Override
        public synchronized int read(ByteBuffer dst, long offset) throws IOException {
            long end = offset + dst.remaining();
            for (long o = offset; o < end; o += PIECE - (o % PIECE)) {
                pieces.add((int) (o / PIECE));
            }
            return inner.read(dst, offset);
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
