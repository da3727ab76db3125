package dev.delugefs.discovery.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Daemon threads with telling names: discovery must never keep a stopping JVM alive. */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    public static ExecutorService single(String name) {
        return Executors.newSingleThreadExecutor(r -> thread(r, name));
    }

    public static ScheduledExecutorService scheduled(int threads, String name) {
        return Executors.newScheduledThreadPool(threads, r -> thread(r, name));
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
