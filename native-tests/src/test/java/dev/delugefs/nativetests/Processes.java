package dev.delugefs.nativetests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Process-tree and mount-table plumbing shared by the fixtures. */
final class Processes {
    private Processes() {}

    /** SIGKILL to the whole tree, children first so none is re-parented to init and survives. */
    static void killTree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        for (ProcessHandle h : all) {
            h.destroyForcibly();
        }
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a zombie we cannot reap is not worth failing cleanup for
            }
        }
    }

    /**
     * The process that is the node: the launcher may exec java or run it as a child; signals must
     * reach java itself, because a plain bash dies on SIGTERM without passing it on.
     */
    static ProcessHandle nodeJvm(ProcessHandle launcher) {
        if (isJava(launcher)) {
            return launcher;
        }
        return launcher.descendants().filter(Processes::isJava).findFirst().orElse(launcher);
    }

    private static boolean isJava(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java") || c.equals("java")).orElse(false);
    }

    /** Mount point → filesystem type, from /proc/mounts (paths are octal-escaped there). */
    static String mountType(Path mountpoint) {
        String want = mountpoint.toAbsolutePath().normalize().toString();
        for (String[] m : mounts()) {
            if (m[1].equals(want)) {
                return m[2];
            }
        }
        return null;
    }

    /**
     * The type of what is mounted at the path in the mount namespace of process pid ({@code /proc/PID/mounts}),
     * or null: a node started with {@code ip netns exec} mounts in a namespace of its own, invisible here.
     */
    static String mountType(long pid, Path mountpoint) {
        String want = mountpoint.toAbsolutePath().normalize().toString();
        for (String[] m : mounts(Path.of("/proc", String.valueOf(pid), "mounts"))) {
            if (m[1].equals(want)) {
                return m[2];
            }
        }
        return null;
    }

    static boolean isMounted(Path mountpoint) {
        return mountType(mountpoint) != null;
    }

    /** Every mount point at or below dir, deepest first, so they can be detached in order. */
    static List<Path> mountsUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<Path> found = new ArrayList<>();
        for (String[] m : mounts()) {
            if (m[1].equals(prefix) || m[1].startsWith(prefix + "/")) {
                found.add(Path.of(m[1]));
            }
        }
        found.sort((a, b) -> b.getNameCount() - a.getNameCount());
        return found;
    }

    /** Detaches even a mount whose daemon is dead (ENOTCONN), which a plain umount refuses. */
    static void lazyUnmount(Path mountpoint) {
        Cmd.of("fusermount", "-u", "-z", mountpoint.toString()).run();
        if (isMounted(mountpoint)) {
            Cmd.of("umount", "-l", mountpoint.toString()).run();
        }
    }

    private static List<String[]> mounts() {
        return mounts(Path.of("/proc/mounts"));
    }

    private static List<String[]> mounts(Path table) {
        try {
            List<String[]> rows = new ArrayList<>();
            for (String line : Files.readAllLines(table, StandardCharsets.ISO_8859_1)) {
                String[] f = line.split(" ");
                if (f.length >= 3) {
                    rows.add(new String[] {unescape(f[0]), unescape(f[1]), f[2]});
                }
            }
            return rows;
        } catch (IOException e) {
            if (!table.equals(Path.of("/proc/mounts"))) {
                return List.of();  // the process is gone, and its mounts with it
            }
            throw new AssertionError("cannot read /proc/mounts", e);
        }
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape: keep the backslash
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
