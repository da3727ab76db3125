package dev.delugefs.metadata;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class CoalescerTest {

    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aBurstDuringARunFoldsIntoOneMoreRun() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> runs = new CopyOnWriteArrayList<>();
        Coalescer coalescer = new Coalescer(pool, key -> {
            runs.add(key);
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test");

        coalescer.request("p");
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 100; i++) {
            coalescer.request("p");
        }
        coalescer.request("q");
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (runs.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(100);

        assertThat(runs).containsExactlyInAnyOrder("p", "p", "q");
    }

    @Test
    void aRefusedRequestIsDroppedAndDoesNotBlockTheNext() throws Exception {
        AtomicBoolean refuse = new AtomicBoolean(true);
        Executor flaky = task -> {
            if (refuse.getAndSet(false)) {
                throw new RejectedExecutionException("full");
            }
            pool.execute(task);
        };
        List<String> runs = new CopyOnWriteArrayList<>();
        Coalescer coalescer = new Coalescer(flaky, runs::add, "test");

        assertThat(coalescer.request("p")).isFalse();
        assertThat(coalescer.request("p")).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (runs.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(runs).containsExactly("p");
    }
}
