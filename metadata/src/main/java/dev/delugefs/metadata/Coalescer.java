package dev.delugefs.metadata;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Runs an action per key on an executor, folding bursts of requests: at most one run per key at a time, plus
 * one more when requests came in while it ran. A later run sees everything the folded requests asked for,
 * because the action always works on the latest state (a peer's head now, our head now).
 */
final class Coalescer {

    private static final Logger LOG = LoggerFactory.getLogger(Coalescer.class);

    private final Executor executor;
    private final Consumer<String> action;
    private final String what;
    // guarded by "this": key -> whether a request came in since its run started
    private final Map<String, Boolean> running = new HashMap<>();

    Coalescer(Executor executor, Consumer<String> action, String what) {
        this.executor = executor;
        this.action = action;
        this.what = what;
    }

    /** @return false if the executor refused the work (full or shut down); the request is dropped */
    boolean request(String key) {
        synchronized (this) {
            if (running.containsKey(key)) {
                running.put(key, true);
                return true;
            }
            running.put(key, false);
        }
        try {
            executor.execute(() -> runFor(key));
            return true;
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                running.remove(key);
            }
            LOG.warn("{} for {} dropped: {}", what, key, e.toString());
            return false;
        }
    }

    private void runFor(String key) {
        while (true) {
            synchronized (this) {
                running.put(key, false);
            }
            try {
                action.accept(key);
            } catch (RuntimeException e) {
                LOG.warn("{} for {} failed", what, key, e);
            }
            synchronized (this) {
                if (!running.get(key)) {
                    running.remove(key);
                    return;
                }
            }
        }
    }
}
