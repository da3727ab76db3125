package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hashing state machine alone, over an in-memory file and tiny pieces, so every edge is cheap to hit. */
class PieceHasherTest {
    private static final int PIECE = 8;

    /** A file in memory that follows the writer's protocol: disk first, then the hasher, then the frontier's chunks. */
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
            put(offset, data);
            hasher.mayHaveChanged(offset, offset + data.length);
            hashAtFrontier();
        }

        /** What the background task does, here at once. */
        void hashAtFrontier() throws IOException {
            for (PieceHasher.Chunk chunk; (chunk = hasher.nextChunk(bytes.length)) != null; ) {
                chunk.hash();
                hasher.done(chunk);
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
    void aReorderedWriteIsHashedWhenTheFrontierReachesItNotAtTheEnd() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(3, 6 * PIECE);
        file.write(2 * PIECE, Arrays.copyOfRange(data, 2 * PIECE, 3 * PIECE));
        file.write(0, Arrays.copyOfRange(data, 0, 2 * PIECE));
        assertThat(file.hasher.frontier()).isEqualTo(3 * PIECE);
        file.write(3 * PIECE, Arrays.copyOfRange(data, 3 * PIECE, data.length));
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).isZero();
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

    @Test
    void aWriteLandingWhileAChunkIsOutMakesItsPieceStale() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(11, 4 * PIECE);
        file.put(0, data);
        file.hasher.mayHaveChanged(0, data.length);
        PieceHasher.Chunk chunk = file.hasher.nextChunk(data.length);
        assertThat(file.hasher.nextChunk(data.length)).as("one chunk out at a time").isNull();
        chunk.hash();
        byte[] patch = {1, 2, 3};
        file.put(PIECE + 2, patch);  // on disk after the chunk read it, noted before the chunk is back
        file.hasher.mayHaveChanged(PIECE + 2, PIECE + 5);
        file.hasher.done(chunk);
        System.arraycopy(patch, 0, data, PIECE + 2, patch.length);

        assertThat(file.hasher.frontier()).isEqualTo(data.length);
        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).as("only the patched piece").isEqualTo(PIECE);
    }

    @Test
    void aWriteToThePieceAChunkContinuesMakesThatPieceStale() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        byte[] data = Reference.randomBytes(12, 3 * PIECE);
        file.write(0, Arrays.copyOf(data, PIECE + 4));
        file.put(PIECE + 4, Arrays.copyOfRange(data, PIECE + 4, data.length));
        file.hasher.mayHaveChanged(PIECE + 4, data.length);
        PieceHasher.Chunk chunk = file.hasher.nextChunk(data.length);
        chunk.hash();
        data[PIECE + 1] = 9;  // below the chunk, in the piece whose digest the chunk carries on
        file.put(PIECE + 1, new byte[] {9});
        file.hasher.mayHaveChanged(PIECE + 1, PIECE + 2);
        file.hasher.done(chunk);

        assertThat(file.finish()).isEqualTo(Reference.pieces(data, PIECE));
        assertThat(file.hasher.bytesReadBack()).isEqualTo(PIECE);
    }

    @Test
    void aChunkNeverReadsPastTheLimitNorFinishesWhileOut() throws IOException {
        MemoryFile file = new MemoryFile(PIECE);
        file.put(0, Reference.randomBytes(13, 3 * PIECE));
        file.hasher.mayHaveChanged(0, 5 * PIECE);  // a write that failed half way
        PieceHasher.Chunk chunk = file.hasher.nextChunk(3 * PIECE);

        assertThat(chunk.length()).isEqualTo(3 * PIECE);
        assertThatThrownBy(() -> file.hasher.finish(3 * PIECE)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> file.hasher.truncated(PIECE)).isInstanceOf(IllegalStateException.class);
        file.hasher.done(chunk);
        assertThat(file.hasher.frontier()).as("a chunk given back unhashed leaves no trace").isZero();
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, PIECE));
    }

    /**
     * As {@link #randomHistoriesHashLikeTheFinalBytes}, with writes that land on disk and are noted at
     * different times, interleaved with a chunk taken out, hashed and given back: whatever a chunk read,
     * the end result describes the final bytes.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void randomHistoriesWithChunksOutHashLikeTheFinalBytes(int seed) throws IOException {
        Random random = new Random(seed);
        int pieceLength = 1 + random.nextInt(16);
        MemoryFile file = new MemoryFile(pieceLength);
        List<long[]> unnoted = new ArrayList<>();
        PieceHasher.Chunk chunk = null;
        boolean hashed = false;
        for (int step = 0; step < 400; step++) {
            int size = file.bytes.length;
            int choice = random.nextInt(16);
            if (choice < 5) {
                int nearFrontier = (int) Math.max(0, file.hasher.frontier() - pieceLength);
                int offset = switch (random.nextInt(6)) {
                    case 0, 1 -> size;
                    case 2, 3 -> nearFrontier + random.nextInt(3 * pieceLength);  // where chunks are
                    case 4 -> random.nextInt(size + 1);
                    default -> size + random.nextInt(2 * pieceLength);  // leaving a gap
                };
                int length = 1 + random.nextInt(3 * pieceLength);
                file.put(offset, Reference.randomBytes(random.nextLong(), length));
                unnoted.add(new long[] {offset, offset + length});
            } else if (choice < 9 && !unnoted.isEmpty()) {
                // Mostly in the order they landed, as one thread's writes are.
                long[] write = unnoted.remove(random.nextInt(4) == 0 ? random.nextInt(unnoted.size()) : 0);
                file.hasher.mayHaveChanged(write[0], write[1]);
            } else if (choice < 11 && chunk == null) {
                chunk = file.hasher.nextChunk(size);
            } else if (choice < 13 && chunk != null && !hashed) {
                chunk.hash();
                hashed = true;
            } else if (choice < 15 && chunk != null) {
                file.hasher.done(chunk);  // given back unhashed too: a task that failed
                chunk = null;
                hashed = false;
            } else if (choice == 15 && chunk == null && unnoted.isEmpty()) {
                file.truncate(random.nextInt(size + pieceLength));
            }
        }
        if (chunk != null) {
            if (!hashed) {
                chunk.hash();
            }
            file.hasher.done(chunk);
        }
        unnoted.forEach(write -> file.hasher.mayHaveChanged(write[0], write[1]));
        assertThat(file.finish()).isEqualTo(Reference.pieces(file.bytes, pieceLength));
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
