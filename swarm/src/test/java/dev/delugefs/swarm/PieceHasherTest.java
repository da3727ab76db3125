package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The hashing state machine alone, over an in-memory file and tiny pieces, so every edge is cheap to hit. */
class PieceHasherTest {
    private static final int PIECE = 8;

    /** A file in memory that follows the writer's protocol: disk first, then the hasher. */
    private static final class MemoryFile {
        byte[] bytes = new byte[0];
        final PieceHasher hasher;

        MemoryFile(int pieceLength) {
            hasher = new PieceHasher(pieceLength, this::readAt);
        }

        MemoryFile(ContentInfo base, byte[] baseBytes) {
            bytes = baseBytes.clone();
            hasher = PieceHasher.continuing(base, this::readAt);
        }

        int readAt(ByteBuffer dst, long offset) {
            if (offset >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), bytes.length - offset);
            dst.put(bytes, (int) offset, n);
            return n;
        }

        void write(long offset, byte[] data) throws IOException {
            if (hasher.recordAway(offset, offset + data.length)) {
                put(offset, data);
            } else {
                put(offset, data);
                hasher.written(ByteBuffer.wrap(data), offset);
            }
        }

        void truncate(int size) {
            bytes = Arrays.copyOf(bytes, size);
            hasher.truncated(size);
        }

        private void put(long offset, byte[] data) {
            if (offset + data.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) offset + data.length);
            }
            System.arraycopy(data, 0, bytes, (int) offset, data.length);
        }

        byte[] finish() throws IOException {
            return hasher.finish(bytes.length);
        }
    }

    @Test
    void inOrderWritesAreNeverReadBack() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(1, 100);
        for (int off = 0; off < data.length; off += 3) {
            file.write(off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 3)));
        }
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).isZero();
    }

    @Test
    void oneWriteMayCompleteManyPieces() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(2, 10 * PIECE + 5);
        file.write(0, data);
        assertThat(file.hasher.frontier()).isEqualTo(data.length);
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).isZero();
    }

    @Test
    void aReorderedWriteIsReadBackOnceAndInOrderHashingResumes() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(3, 6 * PIECE);
        file.write(2 * PIECE, Arrays.copyOfRange(data, 2 * PIECE, 3 * PIECE));
        file.write(0, Arrays.copyOfRange(data, 0, 2 * PIECE));
        assertThat(file.hasher.frontier()).isEqualTo(3 * PIECE);
        file.write(3 * PIECE, Arrays.copyOfRange(data, 3 * PIECE, data.length));
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(PIECE);
    }

    @Test
    void holesHashAsZerosWithoutBeingRead() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        file.write(100 * PIECE + 3, new byte[] {7, 7});
        byte[] pieces = file.finish();
        assertThat(pieces).isEqualTo(Reference.pieces(file.bytes, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(2);
    }

    @Test
    void overwritingTheCurrentPartialPieceDoesNotStopInOrderHashing() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(4, 4 * PIECE);
        file.write(0, Arrays.copyOfRange(data, 0, 12));
        data[9] = 42;
        file.write(9, new byte[] {42});
        file.write(12, Arrays.copyOfRange(data, 12, data.length));
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).as("only the overwritten piece").isEqualTo(PIECE);
    }

    @Test
    void truncateIntoAPieceThenAppendRehashesOnlyThatPiece() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        file.write(0, Reference.randomBytes(5, 5 * PIECE));
        file.truncate(2 * PIECE + 3);
        file.write(2 * PIECE + 3, Reference.randomBytes(6, 2 * PIECE));
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(PIECE);
    }

    @Test
    void aCopyKeepsTheBaseHashesOfUntouchedPieces() throws IOException {
        byte[] baseBytes = Reference.randomBytes(7, 5 * PIECE + 3);
        MemoryFile file = new MemoryFile(Reference.info(baseBytes, PIECE), baseBytes);
        file.write(PIECE + 1, new byte[] {1, 2});
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(PIECE);
    }

    @Test
    void anUntouchedCopyReadsNothingEvenWithAShortLastPiece() throws IOException {
        byte[] baseBytes = Reference.randomBytes(8, 3 * PIECE + 5);
        MemoryFile file = new MemoryFile(Reference.info(baseBytes, PIECE), baseBytes);
        assertThat(file.finish()).isEqualTo(Reference.pieces(baseBytes, PIECE));
        assertThat(file.hasher.bytesReadBack()).isZero();
    }

    @Test
    void appendingToACopyRereadsOnlyItsShortLastPiece() throws IOException {
        byte[] baseBytes = Reference.randomBytes(9, 3 * PIECE + 5);
        MemoryFile file = new MemoryFile(Reference.info(baseBytes, PIECE), baseBytes);
        file.write(baseBytes.length, Reference.randomBytes(10, 2 * PIECE));
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(PIECE);
    }

    @Test
    void tooManyScatteredWritesFallBackToReadingEverythingBack() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        int writes = PieceHasher.MAX_TRACKED_RANGES + 10;
        for (int i = writes; i > 0; i--) {
            file.write(i * 3L, new byte[] {(byte) i});
        }
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, PIECE));
    }

    static IntStream seeds() {
        return IntStream.range(0, Integer.getInteger("hasher.seeds", 200));
    }

    /** Random writes, overwrites, appends and truncates, checked against hashing the final bytes. */
    @ParameterizedTest
    @MethodSource("seeds")
    void randomHistoriesHashLikeTheFinalBytes(int seed) throws IOException {
        Random random = new Random(seed);
        int pieceLength = 1 + random.nextInt(16);
        MemoryFile file;
        if (random.nextBoolean()) {
            file = new MemoryFile(pieceLength);
        } else {
            byte[] base = Reference.randomBytes(seed, random.nextInt(100));
            file = new MemoryFile(Reference.info(base, pieceLength), base);
        }
        for (int step = 0; step < 200; step++) {
            int size = file.bytes.length;
            int choice = random.nextInt(10);
            if (choice < 4) {
                file.write(file.hasher.frontier(), Reference.randomBytes(random.nextLong(), random.nextInt(20)));
            } else if (choice < 8) {
                file.write(random.nextInt(size + 30), Reference.randomBytes(random.nextLong(), 1 + random.nextInt(20)));
            } else if (choice < 9) {
                file.truncate(random.nextInt(size + 1));
            } else {
                file.truncate(size + random.nextInt(30));
            }
        }
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, pieceLength));
    }
}
