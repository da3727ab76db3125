package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static dev.delugefs.metadata.Fixtures.NODE;
import static dev.delugefs.metadata.Fixtures.change;
import static dev.delugefs.metadata.Fixtures.dir;
import static dev.delugefs.metadata.Fixtures.file;
import static dev.delugefs.metadata.Fixtures.record;
import static org.assertj.core.api.Assertions.assertThat;

class StoreLoadTest {

    private static final Logger LOG = LoggerFactory.getLogger(StoreLoadTest.class);

    @TempDir
    Path root;

    @Test
    void eightThreadsRecordingAtOnceLoseNothing() throws Exception {
        int threads = 8;
        int calls = 400;
        NavigableMap<String, Record> live;
        try (NamespaceStore store = Fixtures.create(root, 20)) {
            for (int t = 0; t < threads; t++) {
                record(store, change("/t" + t, dir()));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                String parent = "/t" + t;
                Thread w = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < calls; i++) {
                            store.record(List.of(change(parent + "/f" + i, file(i)), change(parent + "/g" + i, file(1))));
                            if (i % 100 == 99) {
                                store.sync();
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                w.start();
                workers.add(w);
            }
            start.countDown();
            for (Thread w : workers) {
                w.join();
            }
            assertThat(errors).isEmpty();
            live = store.snapshot();
            assertThat(live).hasSize(1 + threads + threads * calls * 2);
        }
        try (NamespaceStore store = NamespaceStore.open(root, NODE)) {
            assertThat(store.snapshot()).isEqualTo(live);
        }
        assertThat(Fixtures.treePaths(root.resolve("meta.git")).stream().filter(p -> p.startsWith("ns/")))
                .hasSize(live.size());
    }

    /** Figures for the report, not limits: the machine is shared. */
    @Test
    void tenThousandRecords() throws IOException {
        int n = 10_000;
        List<Change> creates = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            creates.add(change("/bench/d" + (i % 100) + "/file-" + i, file(4096 + i)));
        }
        try (NamespaceStore store = Fixtures.create(root, 200)) {
            record(store, change("/bench", dir()));
            for (int d = 0; d < 100; d++) {
                record(store, change("/bench/d" + d, dir()));
            }
            store.sync();
            int commitsBefore = Fixtures.commitCount(root.resolve("meta.git"));
            long t0 = System.nanoTime();
            for (Change c : creates) {
                store.record(List.of(c));
            }
            long recorded = System.nanoTime() - t0;
            store.sync();
            long synced = System.nanoTime() - t0;
            int commits = Fixtures.commitCount(root.resolve("meta.git")) - commitsBefore;
            LOG.info("10k record() calls took {} ms ({} calls/s); all committed after {} ms in {} group commits",
                    recorded / 1_000_000, n * 1_000_000_000L / recorded, synced / 1_000_000, commits);
        }

        Path big = root.resolve("big");
        try (NamespaceStore store = Fixtures.create(big, 3_600_000)) {
            store.record(creates);
            long t0 = System.nanoTime();
            store.sync();
            LOG.info("one commit of {} new records: {} ms", n, (System.nanoTime() - t0) / 1_000_000);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 100; i++) {
                    store.record(List.of(change("/more/" + round + "-" + i, file(i))));
                }
                t0 = System.nanoTime();
                store.sync();
                LOG.info("commit of 100 changes on top of {} records: {} ms", n, (System.nanoTime() - t0) / 1_000_000);
            }
        }
        long t0 = System.nanoTime();
        try (NamespaceStore store = NamespaceStore.open(big, NODE)) {
            LOG.info("open() of {} records: {} ms", store.snapshot().size(), (System.nanoTime() - t0) / 1_000_000);
            t0 = System.nanoTime();
            assertThat(NamespaceStore.readOnly(big).records()).hasSize(store.snapshot().size());
            LOG.info("readOnly() of {} records: {} ms", store.snapshot().size(), (System.nanoTime() - t0) / 1_000_000);
            int packsBefore = packs(big);
            t0 = System.nanoTime();
            for (int i = 0; i < 64; i++) {
                store.record(List.of(change("/gc/" + i, file(i))));
                store.sync();
            }
            LOG.info("64 single-change syncs (one triggers a gc of {} packs): {} ms; packs now {}", packsBefore + 64,
                    (System.nanoTime() - t0) / 1_000_000, packs(big));
            assertThat(packs(big)).isLessThan(packsBefore + 64);
        }
    }

    private static int packs(Path root) throws IOException {
        try (Stream<Path> files = Files.list(root.resolve("meta.git/objects/pack"))) {
            return (int) files.filter(p -> p.toString().endsWith(".pack")).count();
        }
    }
}
