package dev.delugefs.fs.fuse;

import dev.delugefs.fs.vfs.Vfs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A live FUSE mount of a {@link Vfs}. jnr-fuse's own non-blocking mount waits two seconds and assumes
 * success, so the session runs blocking on a thread of ours and readiness is read from /proc/mounts.
 */
public final class FuseMount {
    private static final Logger log = LoggerFactory.getLogger(FuseMount.class);
    public static final String SUBTYPE = "delugefs";
    private static final int READAHEAD_KB = 1024;
    private static final int WARM_UP_THREADS = 8;
    private static final int WARM_UP_CALLS = 2500;

    private final Path mountpoint;
    private final Thread session;
    private final AtomicReference<Throwable> failure;

    private FuseMount(Path mountpoint, Thread session, AtomicReference<Throwable> failure) {
        this.mountpoint = mountpoint;
        this.session = session;
        this.failure = failure;
    }

    /**
     * Mounts and returns once the kernel shows the mount.
     *
     * @param source shown as the mount's source in /proc/mounts and df: the storage root
     */
    public static FuseMount start(Vfs vfs, Path mountpoint, String source) throws IOException {
        if (!Charset.defaultCharset().equals(StandardCharsets.ISO_8859_1)) {
            throw new IOException("the JVM must run with -Dfile.encoding=ISO-8859-1 so that file names pass "
                    + "through byte for byte (scripts/delugefs sets it)");
        }
        MountPoints.checkCanMount(mountpoint);
        List<String> options = new ArrayList<>(List.of(
                "-o", "big_writes",
                "-o", "atomic_o_trunc",
                "-o", "default_permissions",
                "-o", "auto_cache",
                "-o", "subtype=" + SUBTYPE,
                "-o", "fsname=" + escapeOption(source)));
        if (isRoot()) {
            options.addAll(List.of("-o", "allow_other"));
        }
        DelugeFuse fuse;
        try {
            fuse = new DelugeFuse(vfs);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IOException("libfuse 2 is not installed (Debian: apt-get install fuse libfuse2): " + e.getMessage());
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread session = new Thread(() -> {
            try {
                fuse.mount(mountpoint, true, false, options.toArray(String[]::new));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fuse-session");
        session.start();
        FuseMount mount = new FuseMount(mountpoint, session, failure);
        mount.awaitMounted();
        mount.widenReadahead();
        mount.warmUp();
        return mount;
    }

    /**
     * jffi attaches a FUSE worker thread to the JVM afresh on each of its first 1000 callbacks (tens of
     * microseconds each, several times the work of a getattr) and keeps it attached after that. Send
     * every worker past that threshold now, with lookups of a name that does not exist (never cached by
     * the kernel), instead of making the first thousands of user operations pay for it. Also warms the
     * JIT. Takes well under a second.
     */
    private void warmUp() {
        Path probe = mountpoint.resolve(".delugefs-warm-up");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        Thread[] workers = new Thread[WARM_UP_THREADS];
        for (int t = 0; t < workers.length; t++) {
            workers[t] = new Thread(() -> {
                for (int i = 0; i < WARM_UP_CALLS && System.nanoTime() < deadline; i++) {
                    Files.exists(probe);
                }
            }, "fuse-warm-up-" + t);
            workers[t].start();
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The kernel reads ahead only 128 KiB on a FUSE mount, one request at a time; a wider window keeps
     * several reads in flight on our worker threads (1 GiB cold read: ~0.5 → ~0.75 GB/s here). Needs
     * root; without it the default stays.
     */
    private void widenReadahead() {
        try {
            long dev = (Long) Files.getAttribute(mountpoint, "unix:dev");
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            Path knob = Path.of("/sys/class/bdi/" + major + ":" + minor + "/read_ahead_kb");
            Files.writeString(knob, READAHEAD_KB + "\n");
        } catch (IOException | RuntimeException e) {
            log.debug("read-ahead of {} left at the kernel's default: {}", mountpoint, e.toString());
        }
    }

    private void awaitMounted() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (MountPoints.isMounted(mountpoint)) {
                return;
            }
            if (!session.isAlive()) {
                Throwable t = failure.get();
                String why = t == null ? "the FUSE session ended" : rootMessage(t);
                throw new IOException("could not mount " + mountpoint + ": " + why);
            }
            sleep(20);
        }
        unmount();
        throw new IOException("could not mount " + mountpoint + ": the kernel did not show the mount within 20 s");
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /** Blocks until the mount goes away: `delugefs unmount`, fusermount -u, or our own {@link #unmount}. */
    public void awaitUnmounted() throws InterruptedException {
        session.join();
    }

    /**
     * Detaches the mount (lazily, so a busy mount does not keep the node from stopping) and waits a little
     * for the session to end.
     */
    public void unmount() {
        if (MountPoints.isMounted(mountpoint)) {
            String error = MountPoints.lazyUnmount(mountpoint);
            // jnr-fuse's own shutdown hook may have detached it a moment earlier
            if (error != null && MountPoints.isMounted(mountpoint)) {
                log.warn("could not unmount {}: {}", mountpoint, error);
            }
        }
        try {
            session.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** libfuse splits -o values at commas; a backslash keeps one. */
    private static String escapeOption(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }

    private static String rootMessage(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return String.valueOf(cause.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
