package dev.delugefs.swarm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.delugefs.swarm.ContentWriterTest.assertMatchesReference;
import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;

class ConcurrencyTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;
    private static final int THREADS = 6;
    private static final int BLOCK = 4096;

    @TempDir Path root;
    private BlockStore store;
    private ExecutorService pool;

    @BeforeEach
    void setUp() throws IOException {
        store = BlockStore.open(root);
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void tearDown() throws Exception {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        store.close();
    }

    @Test
    void writersOfDifferentContentsRunInParallel() throws Exception {
        List<Callable<Void>> jobs = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < THREADS; t++) {
            int seed = t;
            jobs.add(() -> {
                start.await();
                for (int round = 0; round < 5; round++) {
                    byte[] data = Reference.randomBytes(seed * 100L + round, 3 * PIECE + seed * 1000 + round);
                    ContentInfo info;
                    try (ContentWriter writer = store.create(PIECE)) {
                        for (int off = 0; off < data.length; off += 4096) {
                            write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 4096)));
                        }
                        info = writer.seal();
                    }
                    assertMatchesReference(info, data);
                    try (ContentReader reader = store.open(info.id())) {
                        ByteBuffer back = ByteBuffer.allocate(data.length);
                        reader.read(back, 0);
                        assertThat(back.array()).isEqualTo(data);
                    }
                }
                return null;
            });
        }
        List<Future<Void>> results = new ArrayList<>();
        jobs.forEach(job -> results.add(pool.submit(job)));
        start.countDown();
        for (Future<Void> result : results) {
            result.get(60, TimeUnit.SECONDS);
        }
    }

    /** Chunks handed out in a shuffled order to several threads, some in order, some not, all at once. */
    @RepeatedTest(5)
    void concurrentDisjointWritesToOneWriter() throws Exception {
        byte[] data = Reference.randomBytes(System.nanoTime(), 40 * PIECE + 321);
        List<Integer> offsets = new ArrayList<>();
        for (int off = 0; off < data.length; off += 3000) {
            offsets.add(off);
        }
        // Mostly in order, as a kernel sends a sequential copy, with local reordering.
        Random random = new Random();
        for (int i = 0; i + 4 <= offsets.size(); i += 4) {
            Collections.shuffle(offsets.subList(i, i + 4), random);
        }
        ContentWriter writer = store.create(PIECE);
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Future<Void>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            results.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < offsets.size(); i = next.getAndIncrement()) {
                    int off = offsets.get(i);
                    write(writer, off, Arrays.copyOfRange(data, off, Math.min(data.length, off + 3000)));
                }
                return null;
            }));
        }
        for (Future<Void> result : results) {
            result.get(60, TimeUnit.SECONDS);
        }
        assertMatchesReference(writer.seal(), data);
    }

    /**
     * Threads overwriting the same few pieces at once, in many short rounds so that the frontier is often
     * in the contested range: whatever lands last on disk, the sealed hashes must describe it.
     */
    @Test
    void racingOverlappingWritesHashWhatEndsUpOnDisk() throws Exception {
        int span = 4 * PIECE;
        for (int round = 0; round < 150; round++) {
            ContentWriter writer = store.create(PIECE);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Void>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(round * 31L + t);
                byte fill = (byte) (t + 1);
                results.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 4; i++) {
                        // Block-aligned, as the kernel sends them, so that writes often start at the frontier.
                        byte[] chunk = new byte[BLOCK * (1 + random.nextInt(2 * PIECE / BLOCK))];
                        Arrays.fill(chunk, fill);
                        write(writer, BLOCK * random.nextInt(span / BLOCK), chunk);
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
    }
}
