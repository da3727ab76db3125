package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class HlcTest {

    @Test
    void followsTheWallClockAndNeverGoesBack() {
        AtomicLong wall = new AtomicLong(1_000);
        Hlc clock = new Hlc(wall::get);
        long first = clock.now();
        assertThat(Hlc.wallMillis(first)).isEqualTo(1_000);
        long second = clock.now();
        assertThat(second).isEqualTo(first + 1);
        wall.set(500);
        long third = clock.now();
        assertThat(third).isGreaterThan(second);
        wall.set(2_000);
        assertThat(clock.now()).isEqualTo(2_000L << 16);
    }

    @Test
    void observedRemoteClocksAreOvertaken() {
        AtomicLong wall = new AtomicLong(1_000);
        Hlc clock = new Hlc(wall::get);
        long remote = (5_000L << 16) + 7;
        clock.observe(remote);
        assertThat(clock.now()).isEqualTo(remote + 1);
        clock.observe(3);
        assertThat(clock.now()).isEqualTo(remote + 2);
    }

    @Test
    void counterOverflowCarriesIntoMilliseconds() {
        Hlc clock = new Hlc(() -> 10);
        long last = 0;
        for (int i = 0; i < 70_000; i++) {
            long now = clock.now();
            assertThat(now).isGreaterThan(last);
            last = now;
        }
        assertThat(Hlc.wallMillis(last)).isEqualTo(11);
    }

    @Test
    void threadsNeverSeeTheSameValue() throws InterruptedException {
        Hlc clock = new Hlc();
        ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    assertThat(seen.put(clock.now(), Boolean.TRUE)).isNull();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(seen).hasSize(80_000);
        assertThat(Math.abs(Hlc.wallMillis(clock.now()) - System.currentTimeMillis())).isLessThan(5_000);
    }
}
