package dev.delugefs.fs.fuse;

import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** What the kernel says is mounted (/proc/mounts), and the checks before mounting. */
public final class MountPoints {
    private static final Path PROC_MOUNTS = Path.of("/proc/mounts");
    private static final Path DEV_FUSE = Path.of("/dev/fuse");

    /** One line of /proc/mounts, unescaped. */
    public record Mount(String source, Path mountpoint, String type) {
        public boolean isDelugefs() {
            return type.equals("fuse." + FuseMount.SUBTYPE);
        }
    }

    private MountPoints() {
    }

    public static List<Mount> list() {
        List<Mount> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(PROC_MOUNTS)) {
                String[] f = line.split(" ");
                if (f.length >= 3) {
                    mounts.add(new Mount(unescape(f[0]), Path.of(unescape(f[1])), f[2]));
                }
            }
        } catch (IOException e) {
            // no /proc: nothing is known to be mounted
        }
        return mounts;
    }

    public static boolean isMounted(Path mountpoint) {
        Path abs = mountpoint.toAbsolutePath().normalize();
        return list().stream().anyMatch(m -> m.mountpoint().equals(abs));
    }

    /** The DelugeFS mount that holds {@code path} (the innermost, if mounts nest). */
    public static Optional<Mount> delugefsMountOf(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Mount best = null;
        for (Mount m : list()) {
            if (abs.startsWith(m.mountpoint())
                    && (best == null || m.mountpoint().getNameCount() > best.mountpoint().getNameCount())) {
                best = m;
            }
        }
        return Optional.ofNullable(best).filter(Mount::isDelugefs);
    }

    /** Fails with a message a user can act on if a FUSE mount at {@code mountpoint} cannot work. */
    static void checkCanMount(Path mountpoint) throws IOException {
        if (!Files.exists(DEV_FUSE)) {
            throw new IOException("/dev/fuse is missing: load the fuse kernel module (modprobe fuse), "
                    + "or give the container the device (--device /dev/fuse)");
        }
        Path abs = mountpoint.toAbsolutePath().normalize();
        if (isMounted(abs) && isDeadDelugefsMount(abs)) {
            // a node that was killed leaves its mount behind with no one serving it; the root lock we hold
            // proves that node is gone, so clearing it is safe
            LoggerFactory.getLogger(MountPoints.class).warn("clearing the dead mount a stopped node left at {}", abs);
            lazyUnmount(abs);
        }
        if (isMounted(abs)) {
            throw new IOException("mountpoint " + abs + " is busy: something is already mounted there "
                    + "(unmount it first: delugefs unmount " + abs + ")");
        }
        if (!Files.exists(abs)) {
            if (!Files.isDirectory(abs.getParent())) {
                throw new NoSuchFileException(abs.getParent().toString(), null,
                        "the mountpoint's parent directory does not exist");
            }
            Files.createDirectory(abs);
        }
        if (!Files.isDirectory(abs)) {
            throw new IOException("mountpoint " + abs + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(abs)) {
            if (entries.findAny().isPresent()) {
                throw new IOException("mountpoint " + abs + " is not empty");
            }
        }
    }

    static boolean isDeadDelugefsMount(Path abs) {
        boolean delugefs = list().stream().anyMatch(m -> m.mountpoint().equals(abs) && m.isDelugefs());
        if (!delugefs) {
            return false;
        }
        try {
            Files.readAttributes(abs, BasicFileAttributes.class);
            return false;
        } catch (FileSystemException e) {
            return String.valueOf(e.getReason()).contains("not connected");
        } catch (IOException e) {
            return false;
        }
    }

    /** fusermount -u -z: detaches even a busy or dead mount. Returns fusermount's complaint, or null. */
    public static String lazyUnmount(Path mountpoint) {
        return fusermount(mountpoint, true);
    }

    /** fusermount -u (or -u -z when {@code lazy}); returns its error output on failure, null on success. */
    public static String fusermount(Path mountpoint, boolean lazy) {
        List<String> cmd = new ArrayList<>(List.of("fusermount", "-u"));
        if (lazy) {
            cmd.add("-z");
        }
        cmd.add(mountpoint.toString());
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : (out.isEmpty() ? "fusermount failed" : out);
        } catch (IOException e) {
            return "could not run fusermount: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
