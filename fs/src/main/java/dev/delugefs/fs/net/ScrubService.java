package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.replication.Scrubber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the {@link Scrubber}: a throttled pass every interval, and {@code scrub} on the channel, which runs
 * a pass now at full speed and answers what it found ({@code delugefs scrub}).
 */
final class ScrubService implements CommandHandler, AutoCloseable {
    static final String NAME = "scrub";
    private static final Logger log = LoggerFactory.getLogger(ScrubService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Scrubber scrubber;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "scrubber");
        t.setDaemon(true);
        return t;
    });
    private volatile Scrubber.Report last;
    private final AtomicLong damagedSinceStart = new AtomicLong();

    /** @param interval between background passes; zero: none */
    ScrubService(Scrubber scrubber, Duration interval) {
        this.scrubber = scrubber;
        if (!interval.isZero()) {
            loop.scheduleWithFixedDelay(this::backgroundPass, interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void backgroundPass() {
        try {
            record(scrubber.scrub(true));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            log.warn("scrub pass failed; trying again at the next interval: {}", e.toString());
        }
    }

    private void record(Scrubber.Report report) {
        last = report;
        damagedSinceStart.addAndGet(report.damaged().size());
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        if (!request.args().isEmpty()) {
            request.stderr().write(("usage: " + NAME + "\n").getBytes(StandardCharsets.UTF_8));
            return 2;
        }
        Scrubber.Report report;
        try {
            report = scrubber.scrub(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request.stderr().write("scrub: interrupted\n".getBytes(StandardCharsets.UTF_8));
            return 1;
        }
        record(report);
        request.stdout().write(JSON.writeValueAsBytes(toMap(report)));
        request.stdout().write('\n');
        return 0;
    }

    /** What {@code delugefs status} shows: the last pass, and the damaged copies found since start. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        Scrubber.Report report = last;
        status.put("lastPass", report == null ? "" : report.finishedAt().toString());
        status.put("checked", report == null ? 0 : report.checked());
        status.put("damagedSinceStart", damagedSinceStart.get());
        return status;
    }

    private static Map<String, Object> toMap(Scrubber.Report report) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("checked", report.checked());
        map.put("bytes", report.bytes());
        List<Map<String, Object>> damaged = report.damaged().stream().map(d -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("content", d.contentId());
            entry.put("damagedPieces", d.damagedPieces());
            entry.put("pieces", d.pieces());
            return entry;
        }).toList();
        map.put("damaged", damaged);
        return map;
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
