package dev.delugefs.swarm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A content written through the store seals to the id and pieces of its final bytes, whatever the write pattern. */
class ContentWriterTest {
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

    @ParameterizedTest(name = "buffer {0}")
    @ValueSource(ints = {4096, PIECE, 2 * PIECE, 1000, 3001, PIECE + 1, 100_000})
    void sequentialWritesSealWithoutReadingBack(int bufferSize) throws IOException {
        byte[] data = Reference.randomBytes(bufferSize, 10 * PIECE + 1234);
        TempContentWriter writer = (TempContentWriter) store.create(PIECE);
        for (int off = 0; off < data.length; off += bufferSize) {
            write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + bufferSize)));
        }
        ContentInfo info = writer.seal();

        assertMatchesReference(info, data);
        assertThat(writer.bytesReadBack()).isZero();
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, PIECE - 1, PIECE, PIECE + 1, 5 * PIECE - 1, 5 * PIECE, 5 * PIECE + 1})
    void lengthsAroundPieceBoundaries(int length) throws IOException {
        byte[] data = Reference.randomBytes(length, length);
        ContentInfo info = writeAll(data);

        assertMatchesReference(info, data);
        assertThat(info.pieceCount()).isEqualTo((length + PIECE - 1) / PIECE);
    }

    @Test
    void emptyContentHasNoPiecesAndIsStored() throws IOException {
        ContentInfo info = store.create(PIECE).seal();

        assertThat(info.length()).isZero();
        assertThat(info.pieces()).isEmpty();
        assertThat(info.id()).isEqualTo(Reference.infoHash(0, PIECE, new byte[0]));
        try (ContentReader reader = store.open(info.id())) {
            assertThat(reader.size()).isZero();
            assertThat(reader.read(ByteBuffer.allocate(1), 0)).isEqualTo(-1);
        }
    }

    @Test
    void writesInRandomOrder() throws IOException {
        byte[] data = Reference.randomBytes(11, 20 * PIECE + 77);
        List<Integer> chunks = new ArrayList<>();
        for (int off = 0; off < data.length; off += 5000) {
            chunks.add(off);
        }
        Collections.shuffle(chunks, new Random(12));
        ContentWriter writer = store.create(PIECE);
        for (int off : chunks) {
            write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 5000)));
        }
        assertMatchesReference(writer.seal(), data);
    }

    @Test
    void overwritesOfHashedPieces() throws IOException {
        byte[] data = Reference.randomBytes(13, 8 * PIECE + 100);
        TempContentWriter writer = (TempContentWriter) store.create(PIECE);
        write(writer, 0, data);
        writer.catchUpHashing();  // else the patch may land before its pieces are hashed at all
        byte[] patch = Reference.randomBytes(14, PIECE / 2);
        int at = 2 * PIECE + PIECE / 2 + 10;  // spans pieces 2 and 3
        write(writer, at, patch);
        System.arraycopy(patch, 0, data, at, patch.length);
        write(writer, 8 * PIECE + 50, new byte[] {1});  // the partial last piece
        data[8 * PIECE + 50] = 1;

        assertMatchesReference(writer.seal(), data);
        assertThat(writer.bytesReadBack()).as("pieces 2, 3 and the last one").isEqualTo(2L * PIECE + 100);
    }

    @Test
    void writesPastTheEndLeaveHolesOfZeros() throws IOException {
        byte[] data = new byte[7 * PIECE + 3];
        byte[] head = Reference.randomBytes(15, 1000);
        byte[] middle = Reference.randomBytes(16, 3000);
        byte[] tail = Reference.randomBytes(17, 3);
        System.arraycopy(head, 0, data, 0, head.length);
        System.arraycopy(middle, 0, data, 3 * PIECE - 100, middle.length);
        System.arraycopy(tail, 0, data, 7 * PIECE, tail.length);
        ContentWriter writer = store.create(PIECE);
        write(writer, 0, head);
        write(writer, 7 * PIECE, tail);
        write(writer, 3 * PIECE - 100, middle);

        assertThat(writer.size()).isEqualTo(data.length);
        assertThat(readAll(writer)).isEqualTo(data);
        assertMatchesReference(writer.seal(), data);
    }

    @Test
    void truncateDownThenUp() throws IOException {
        byte[] data = Reference.randomBytes(18, 6 * PIECE);
        ContentWriter writer = store.create(PIECE);
        write(writer, 0, data);
        writer.truncate(2 * PIECE + 7);
        writer.truncate(4 * PIECE);
        byte[] expected = Arrays.copyOf(Arrays.copyOf(data, 2 * PIECE + 7), 4 * PIECE);

        assertThat(writer.size()).isEqualTo(expected.length);
        assertThat(readAll(writer)).isEqualTo(expected);
        assertMatchesReference(writer.seal(), expected);
    }

    @Test
    void truncateToAPieceBoundaryThenAppend() throws IOException {
        byte[] data = Reference.randomBytes(19, 6 * PIECE);
        TempContentWriter writer = (TempContentWriter) store.create(PIECE);
        write(writer, 0, data);
        writer.truncate(3 * PIECE);
        byte[] more = Reference.randomBytes(20, PIECE + 5);
        write(writer, 3 * PIECE, more);
        byte[] expected = Arrays.copyOf(data, 4 * PIECE + 5);
        System.arraycopy(more, 0, expected, 3 * PIECE, more.length);

        assertMatchesReference(writer.seal(), expected);
        assertThat(writer.bytesReadBack()).isZero();
    }

    @Test
    void sparseWritesAboveFourGibibytes() throws IOException {
        int pieceLength = 1 << 20;
        long[] offsets = {(4L << 30) + 12345, (5L << 30) - 7, (5L << 30) + 3 * pieceLength};
        byte[][] chunks = {Reference.randomBytes(21, 70_000), Reference.randomBytes(22, 30), Reference.randomBytes(23, 999)};
        ContentWriter writer = store.create(pieceLength);
        write(writer, 0, new byte[] {1, 2, 3});
        for (int i = chunks.length - 1; i >= 0; i--) {
            write(writer, offsets[i], chunks[i]);
        }
        long length = offsets[2] + chunks[2].length;
        ContentInfo info = writer.seal();

        SparseModel model = new SparseModel(length).with(0, new byte[] {1, 2, 3});
        for (int i = 0; i < chunks.length; i++) {
            model.with(offsets[i], chunks[i]);
        }
        byte[] pieces = model.pieces(pieceLength);
        assertThat(info.length()).isEqualTo(length);
        assertThat(info.pieces()).isEqualTo(pieces);
        assertThat(info.id()).isEqualTo(Reference.infoHash(length, pieceLength, pieces));
        try (ContentReader reader = store.open(info.id())) {
            assertThat(reader.size()).isEqualTo(length);
            for (int i = 0; i < chunks.length; i++) {
                ByteBuffer back = ByteBuffer.allocate(chunks[i].length);
                assertThat(reader.read(back, offsets[i])).isEqualTo(chunks[i].length);
                assertThat(back.array()).isEqualTo(chunks[i]);
            }
            assertThat(reader.read(ByteBuffer.allocate(10), length)).isEqualTo(-1);
        }
    }

    @Test
    void sealedContentIsReadOnlyUnderItsIdAndReadsBack() throws IOException {
        byte[] data = Reference.randomBytes(24, 3 * PIECE + 17);
        ContentInfo info = writeAll(data);
        Path file = root.resolve("blocks").resolve(info.id().substring(0, 2)).resolve(info.id());

        assertThat(Files.readAllBytes(file)).isEqualTo(data);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("r--r--r--");
        assertThat(store.has(info.id())).isTrue();
        assertThat(store.storedBytes()).isEqualTo(data.length);
        try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
            assertThat(temps).isEmpty();
        }
        try (ContentReader reader = store.open(info.id())) {
            ByteBuffer part = ByteBuffer.allocate(100);
            assertThat(reader.read(part, PIECE - 50)).isEqualTo(100);
            assertThat(part.array()).isEqualTo(Arrays.copyOfRange(data, PIECE - 50, PIECE + 50));
            ByteBuffer end = ByteBuffer.allocate(100);
            assertThat(reader.read(end, data.length - 10)).isEqualTo(10);
        }
    }

    @Test
    void writerReadsSeeWritesAndStopAtTheEnd() throws IOException {
        ContentWriter writer = store.create(PIECE);
        write(writer, 10, new byte[] {5, 6});
        ByteBuffer all = ByteBuffer.allocate(20);

        assertThat(writer.read(all, 0)).isEqualTo(12);
        assertThat(Arrays.copyOf(all.array(), 12)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6);
        assertThat(writer.read(ByteBuffer.allocate(4), 12)).isEqualTo(-1);
        assertThat(writer.read(ByteBuffer.allocate(0), 0)).isZero();
        writer.close();
    }

    @Test
    void aSealedWriterRefusesFurtherUseAndCloseIsHarmless() throws IOException {
        ContentWriter writer = store.create(PIECE);
        write(writer, 0, new byte[] {1});
        ContentInfo info = writer.seal();
        writer.close();
        writer.close();

        assertThatThrownBy(() -> write(writer, 1, new byte[] {2})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(writer::seal).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> writer.truncate(0)).isInstanceOf(IllegalStateException.class);
        assertThat(store.has(info.id())).isTrue();
    }

    @Test
    void closingWithoutSealDiscardsTheData() throws IOException {
        ContentWriter writer = store.create(PIECE);
        write(writer, 0, Reference.randomBytes(25, 1000));
        writer.close();
        writer.close();

        assertThatThrownBy(() -> write(writer, 0, new byte[] {1})).isInstanceOf(IllegalStateException.class);
        try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
            assertThat(temps).isEmpty();
        }
        assertThat(store.storedBytes()).isZero();
    }

    private ContentInfo writeAll(byte[] data) throws IOException {
        try (ContentWriter writer = store.create(PIECE)) {
            write(writer, 0, data);
            return writer.seal();
        }
    }

    static void write(ContentWriter writer, long offset, byte[] data) throws IOException {
        assertThat(writer.write(ByteBuffer.wrap(data), offset)).isEqualTo(data.length);
    }

    private static byte[] readAll(ContentWriter writer) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) writer.size());
        writer.read(all, 0);
        return all.array();
    }

    static void assertMatchesReference(ContentInfo info, byte[] data) {
        byte[] pieces = Reference.pieces(data, info.pieceLength());
        assertThat(info.length()).isEqualTo(data.length);
        assertThat(info.pieces()).isEqualTo(pieces);
        assertThat(info.id()).isEqualTo(Reference.infoHash(data.length, info.pieceLength(), pieces));
    }
}
