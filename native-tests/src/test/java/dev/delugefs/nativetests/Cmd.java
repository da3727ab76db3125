package dev.delugefs.nativetests;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command to completion with a deadline and keeps what it printed.
 *
 * <p>Output goes to temp files rather than pipes: a tool that prints a lot can then never block on a
 * full pipe while we wait for it, and a timed-out command still shows what it printed so far.
 */
final class Cmd {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final List<String> command;
    private Path dir;
    private Duration timeout = DEFAULT_TIMEOUT;
    private byte[] stdin;
    private final Map<String, String> env = new HashMap<>();

    private Cmd(List<String> command) {
        this.command = List.copyOf(command);
    }

    static Cmd of(String... command) {
        return new Cmd(Arrays.asList(command));
    }

    static Cmd of(List<String> command) {
        return new Cmd(command);
    }

    /** A bash one-liner; for pipelines and redirections that would be clumsy in Java. */
    static Cmd sh(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "set -eo pipefail\n" + script, "bash"));
        cmd.addAll(Arrays.asList(args));
        return of(cmd);
    }

    Cmd in(Path workingDir) {
        this.dir = workingDir;
        return this;
    }

    Cmd timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    Cmd stdin(byte[] bytes) {
        this.stdin = bytes.clone();
        return this;
    }

    Cmd env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Result run() {
        Path out = null;
        Path err = null;
        Path in = null;
        try {
            out = Files.createTempFile("cmd-", ".out");
            err = Files.createTempFile("cmd-", ".err");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("cmd-", ".in");
                Files.write(in, stdin);
                pb.redirectInput(in.toFile());
            } else {
                pb.redirectInput(new File("/dev/null"));
            }
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Processes.killTree(p.toHandle());
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while running " + command, e);
            }
            if (!done) {
                Processes.killTree(p.toHandle());
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + shorten(command)
                        + "\nstdout: " + tail(Files.readAllBytes(out)) + "\nstderr: " + tail(Files.readAllBytes(err)));
            }
            return new Result(command, p.exitValue(), Files.readAllBytes(out), Files.readAllBytes(err));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } finally {
            for (Path p : new Path[] {out, err, in}) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // a stray temp file is harmless
                    }
                }
            }
        }
    }

    /** Runs and insists on exit 0; the failure message carries the whole story. */
    Result ok() {
        return run().assertOk();
    }

    /** Commands can carry long scripts and hex blobs; a failure message needs only their start. */
    static String shorten(List<String> command) {
        return command.stream().map(a -> a.length() <= 300 ? a : a.substring(0, 300) + "...(" + a.length() + " chars)")
                .toList().toString();
    }

    static String tail(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    record Result(List<String> command, int exit, byte[] stdoutBytes, byte[] stderrBytes) {
        String out() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        String err() {
            return new String(stderrBytes, StandardCharsets.UTF_8);
        }

        List<String> lines() {
            return out().lines().toList();
        }

        Result assertOk() {
            if (exit != 0) {
                throw new AssertionError(describe("expected exit 0"));
            }
            return this;
        }

        String describe(String what) {
            return what + ", got exit " + exit + " from " + shorten(command)
                    + "\nstdout: " + tail(stdoutBytes) + "\nstderr: " + tail(stderrBytes);
        }
    }
}
