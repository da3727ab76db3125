package dev.delugefs.swarm;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** Runs third-party programs for interop tests: skipped where missing on a workstation, required in CI. */
final class ExternalTool {
    record Result(int exitCode, String output) {
    }

    private ExternalTool() {
    }

    /** Skips the test (or fails it when {@code CI=true}) unless {@code probe} runs and exits 0. */
    static void require(String what, String... probe) {
        boolean present = Files.isExecutable(Path.of(probe[0])) && quietly(probe).exitCode() == 0;
        if (present) {
            return;
        }
        String message = what + " is not available (" + String.join(" ", probe) + ")";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + "; CI must have it installed");
        }
        Assumptions.assumeTrue(false, message + "; skipping");
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private static Result quietly(String... command) {
        try {
            return run(command);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
