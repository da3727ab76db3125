package dev.delugefs.swarm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static dev.delugefs.swarm.ContentWriterTest.assertMatchesReference;
import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Equal bytes are stored once, and editing a copy costs only the pieces that change. */
class DedupAndCopyTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;

    @TempDir Path root;
    private BlockStore store;

    @BeforeEach
    void openStore() throws IOException {
        store = BlockStore.open(root);
    }

    @AfterEach
    void closeStore() throws IOException {
        store.close();
    }

    @Test
    void equalBytesFromTwoWritersAreStoredOnce() throws IOException {
        byte[] data = Reference.randomBytes(1, 4 * PIECE + 9);
        ContentWriter first = store.create(PIECE);
        ContentWriter second = store.create(PIECE);
        write(second, 0, Arrays.copyOfRange(data, PIECE, data.length));  // a different write pattern
        write(second, 0, Arrays.copyOf(data, PIECE));
        write(second, PIECE, Arrays.copyOfRange(data, PIECE, data.length));
        write(first, 0, data);

        ContentInfo a = first.seal();
        ContentInfo b = second.seal();

        assertThat(b).isEqualTo(a);
        assertThat(store.storedBytes()).isEqualTo(data.length);
        try (Stream<Path> files = Files.walk(root.resolve("blocks"))) {
            assertThat(files.filter(Files::isRegularFile)).hasSize(1);
        }
        try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
            assertThat(temps).isEmpty();
        }
    }

    @Test
    void aSmallEditOfACopyChangesOnlyTheTouchedPieces() throws IOException {
        byte[] data = Reference.randomBytes(2, 10 * PIECE + 500);
        ContentInfo base = seal(data);

        TempContentWriter copy = (TempContentWriter) store.copyOf(base);
        assertThat(copy.size()).isEqualTo(data.length);
        write(copy, 4 * PIECE + 100, new byte[] {1, 2, 3});
        ContentInfo edited = copy.seal();

        byte[] expected = data.clone();
        System.arraycopy(new byte[] {1, 2, 3}, 0, expected, 4 * PIECE + 100, 3);
        assertMatchesReference(edited, expected);
        assertThat(edited.id()).isNotEqualTo(base.id());
        for (int i = 0; i < base.pieceCount(); i++) {
            if (i == 4) {
                assertThat(edited.pieceHash(i)).isNotEqualTo(base.pieceHash(i));
            } else {
                assertThat(edited.pieceHash(i)).as("piece %d", i).isEqualTo(base.pieceHash(i));
            }
        }
        assertThat(copy.bytesReadBack()).as("only the edited piece is read back").isEqualTo(PIECE);
        assertThat(store.has(base.id())).as("the base stays").isTrue();
    }

    @Test
    void anUnchangedCopySealsToTheBaseWithoutReadingIt() throws IOException {
        ContentInfo base = seal(Reference.randomBytes(3, 3 * PIECE + 1));
        TempContentWriter copy = (TempContentWriter) store.copyOf(base);

        assertThat(copy.seal()).isEqualTo(base);
        assertThat(copy.bytesReadBack()).isZero();
        assertThat(store.storedBytes()).isEqualTo(base.length());
    }

    @Test
    void appendingToACopy() throws IOException {
        byte[] data = Reference.randomBytes(4, 2 * PIECE + 10);
        ContentInfo base = seal(data);
        ContentWriter copy = store.copyOf(base);
        byte[] more = Reference.randomBytes(5, 3 * PIECE);
        write(copy, data.length, more);

        byte[] expected = Arrays.copyOf(data, data.length + more.length);
        System.arraycopy(more, 0, expected, data.length, more.length);
        assertMatchesReference(copy.seal(), expected);
    }

    @Test
    void truncatingACopy() throws IOException {
        byte[] data = Reference.randomBytes(6, 5 * PIECE);
        ContentWriter copy = store.copyOf(seal(data));
        copy.truncate(PIECE + 3);

        assertMatchesReference(copy.seal(), Arrays.copyOf(data, PIECE + 3));
    }

    @Test
    void copyReadsTheBaseBytes() throws IOException {
        byte[] data = Reference.randomBytes(7, PIECE + 3);
        try (ContentWriter copy = store.copyOf(seal(data))) {
            ByteBuffer all = ByteBuffer.allocate(data.length + 10);
            assertThat(copy.read(all, 0)).isEqualTo(data.length);
            assertThat(Arrays.copyOf(all.array(), data.length)).isEqualTo(data);
        }
    }

    @Test
    void copyOfMissingContentFails() {
        ContentInfo absent = Reference.info(new byte[] {1}, PIECE);
        assertThatThrownBy(() -> store.copyOf(absent)).isInstanceOf(NoSuchFileException.class);
    }

    private ContentInfo seal(byte[] data) throws IOException {
        try (ContentWriter writer = store.create(PIECE)) {
            write(writer, 0, data);
            return writer.seal();
        }
    }
}
