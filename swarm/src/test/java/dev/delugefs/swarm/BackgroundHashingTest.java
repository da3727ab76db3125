package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static dev.delugefs.swarm.ContentWriterTest.assertMatchesReference;
import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hashing runs beside the writes, never inside them, and never leaves a hash of bytes the file no longer holds. */
class BackgroundHashingTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;

    @TempDir Path root;

    /** A writer whose background tasks run only when the test says so. */
    private TempContentWriter writerOn(Queue<Runnable> tasks) throws IOException {
        Path temp = Files.createDirectories(root.resolve("tmp")).resolve("w" + System.nanoTime());
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        return TempContentWriter.empty(temp, channel, PIECE, new BlockDirectory(root.resolve("blocks")), tasks::add,
                writer -> { });
    }

    @Test
    void writesReturnWithoutHashingAndTheSealCatchesUpWithoutCountingItAsReadBack() throws IOException {
        Queue<Runnable> tasks = new ArrayDeque<>();
        TempContentWriter writer = writerOn(tasks);
        byte[] data = Reference.randomBytes(1, (int) BackgroundHasher.MIN_BACKLOG * 3 + 7);
        for (int off = 0; off < data.length; off += 3 * PIECE) {
            write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 3 * PIECE)));
        }
        assertThat(tasks).as("one task per writer, however many writes").hasSize(1);

        ContentInfo info = writer.seal();

        assertMatchesReference(info, data);
        assertThat(writer.bytesCaughtUpAtSeal()).isEqualTo(data.length);
        assertThat(writer.bytesReadBack()).isZero();
        tasks.poll().run();  // a task that runs after the seal finds nothing to do
    }

    @Test
    void aSmallFileWakesNoThreadAndIsHashedBySeal() throws IOException {
        Queue<Runnable> tasks = new ArrayDeque<>();
        TempContentWriter writer = writerOn(tasks);
        byte[] data = Reference.randomBytes(6, (int) BackgroundHasher.MIN_BACKLOG - 1);
        for (int off = 0; off < data.length; off += 4096) {
            write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 4096)));
        }
        assertThat(tasks).isEmpty();

        assertMatchesReference(writer.seal(), data);
        assertThat(writer.bytesCaughtUpAtSeal()).isEqualTo(data.length);
        assertThat(writer.bytesReadBack()).isZero();
    }

    @Test
    void theTaskHashesWhatWasWrittenSoTheSealHasNothingLeft() throws IOException {
        Queue<Runnable> tasks = new ArrayDeque<>();
        TempContentWriter writer = writerOn(tasks);
        byte[] data = Reference.randomBytes(2, 2 * PieceHasher.MAX_CHUNK + 5);
        write(writer, 0, data);
        tasks.poll().run();

        assertThat(tasks).isEmpty();
        assertMatchesReference(writer.seal(), data);
        assertThat(writer.bytesCaughtUpAtSeal()).isZero();
        assertThat(writer.bytesReadBack()).isZero();
    }

    @Test
    void aTaskGivesUpItsThreadAfterASliceAndRequeuesItself() throws IOException {
        Queue<Runnable> tasks = new ArrayDeque<>();
        TempContentWriter writer = writerOn(tasks);
        byte[] data = Reference.randomBytes(3, (int) BackgroundHasher.SLICE + PIECE);
        write(writer, 0, data);
        tasks.poll().run();

        assertThat(tasks).as("requeued behind other writers' tasks").hasSize(1);
        tasks.poll().run();
        assertThat(tasks).isEmpty();
        assertMatchesReference(writer.seal(), data);
        assertThat(writer.bytesCaughtUpAtSeal()).isZero();
    }

    @Test
    void aFailedSealLeavesBackgroundHashingRunning() throws IOException {
        Queue<Runnable> tasks = new ArrayDeque<>();
        TempContentWriter writer = writerOn(tasks);
        byte[] data = Reference.randomBytes(4, 3 * PIECE);
        write(writer, 0, data);
        Path shard = root.resolve("blocks").resolve(Reference.info(data, PIECE).id().substring(0, 2));
        Files.createDirectories(shard.getParent());
        Files.writeString(shard, "a file where the shard directory should go");
        assertThatThrownBy(writer::seal).isInstanceOf(IOException.class);
        Files.delete(shard);

        byte[] more = Reference.randomBytes(5, (int) BackgroundHasher.MIN_BACKLOG + 3);
        write(writer, data.length, more);
        while (!tasks.isEmpty()) {
            tasks.poll().run();
        }
        byte[] all = Arrays.copyOf(data, data.length + more.length);
        System.arraycopy(more, 0, all, data.length, more.length);

        assertMatchesReference(writer.seal(), all);
        assertThat(writer.bytesCaughtUpAtSeal()).as("only by the failed seal").isEqualTo(data.length);
        assertThat(writer.bytesReadBack()).isZero();
    }

    @Test
    void closingAWriterStopsItsBackgroundHashing() throws Exception {
        try (BlockStore store = BlockStore.open(root)) {
            for (int round = 0; round < 20; round++) {
                ContentWriter writer = store.create(PIECE);
                ByteBuffer block = ByteBuffer.allocateDirect(128 * 1024);
                for (long off = 0; off < (8 << 20); off += block.capacity()) {
                    writer.write(block.clear(), off);
                }
                writer.close();
                try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
                    assertThat(temps).isEmpty();
                }
            }
        }
    }

    @Test
    void closingTheStoreWaitsForItsHashingThreads() throws IOException {
        FileBlockStore store = FileBlockStore.open(root);
        for (int i = 0; i < 4; i++) {
            write(store.create(PIECE), 0, Reference.randomBytes(i, 4 << 20));
        }
        store.close();

        assertThat(store.hashingTerminated()).isTrue();
        try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
            assertThat(temps).isEmpty();
        }
    }

    /** How far behind the end the background is most likely reading and hashing. */
    private static final int BEHIND = (int) BackgroundHasher.MIN_BACKLOG + 2 * PIECE;

    /**
     * One thread appends while overwriting, truncating and re-growing near the end, where the background
     * chunk is most likely being read and hashed, pausing now and then so that the background catches up
     * in the middle of it all. The bytes written are known, so every round checks the sealed pieces.
     */
    @Test
    void overwritesRacingTheBackgroundHasherSealToTheFinalBytes() throws IOException {
        Random random = new Random(42);
        byte[] model = new byte[2 << 20];
        byte[] fresh = new byte[4 * PIECE];
        try (BlockStore store = BlockStore.open(root)) {
            for (int round = 0; round < 150; round++) {
                TempContentWriter writer = (TempContentWriter) store.create(PIECE);
                int length = 0;
                int target = (16 + random.nextInt(96)) * PIECE + random.nextInt(PIECE);
                while (length < target) {
                    int choice = random.nextInt(10);
                    if (choice < 9) {
                        int offset = choice < 5 ? length : Math.max(0, length - 1 - random.nextInt(BEHIND));
                        int n = 1 + random.nextInt(choice < 5 ? fresh.length : 2 * PIECE);
                        Arrays.fill(fresh, 0, n, (byte) (1 + random.nextInt(255)));  // differs from what it replaces
                        System.arraycopy(fresh, 0, model, offset, n);
                        length = Math.max(length, offset + n);
                        assertThat(writer.write(ByteBuffer.wrap(fresh, 0, n), offset)).isEqualTo(n);
                    } else {
                        int newSize = Math.max(0, length - random.nextInt(PIECE) + random.nextInt(PIECE / 2));
                        Arrays.fill(model, Math.min(length, newSize), Math.max(length, newSize), (byte) 0);
                        length = newSize;
                        writer.truncate(newSize);
                    }
                    if (random.nextInt(8) == 0) {
                        LockSupport.parkNanos(random.nextInt(200_000));
                    }
                }
                assertMatchesReference(writer.seal(), Arrays.copyOf(model, length));
            }
        }
    }

    /** Several threads append and overwrite one content at once while it is hashed behind them. */
    @Test
    void concurrentOverwritesRacingTheBackgroundHasher() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (BlockStore store = BlockStore.open(root)) {
            for (int round = 0; round < 40; round++) {
                ContentWriter writer = store.create(PIECE);
                int length = 64 * PIECE;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Void>> results = new ArrayList<>();
                Random pauses = new Random(round);
                results.add(pool.submit(() -> {
                    start.await();
                    for (int off = 0; off < length; off += 8192) {
                        write(writer, off, Reference.randomBytes(off, 8192));
                        if (pauses.nextInt(8) == 0) {
                            LockSupport.parkNanos(pauses.nextInt(200_000));  // lets the background catch up
                        }
                    }
                    return null;
                }));
                for (int t = 0; t < 2; t++) {
                    Random random = new Random(round * 7L + t);
                    results.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < 200; i++) {
                            long end = writer.size();
                            long offset = Math.max(0, end - random.nextInt(BEHIND));
                            write(writer, offset, Reference.randomBytes(random.nextLong(), 1 + random.nextInt(PIECE)));
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<Void> result : results) {
                    result.get(60, TimeUnit.SECONDS);
                }
                ByteBuffer onDisk = ByteBuffer.allocate((int) writer.size());
                writer.read(onDisk, 0);
                assertMatchesReference(writer.seal(), onDisk.array());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
