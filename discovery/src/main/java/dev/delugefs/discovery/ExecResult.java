package dev.delugefs.discovery;

import java.nio.charset.StandardCharsets;

/** What a command run over the channel gave back. */
public record ExecResult(int exitStatus, byte[] stdout, byte[] stderr) {

    public ExecResult {
        stdout = stdout.clone();
        stderr = stderr.clone();
    }

    @Override
    public byte[] stdout() {
        return stdout.clone();
    }

    @Override
    public byte[] stderr() {
        return stderr.clone();
    }

    public boolean succeeded() {
        return exitStatus == 0;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ExecResult[exit=" + exitStatus + ", stdout=" + stdout.length + " bytes, stderr='"
                + stderrText().strip() + "']";
    }
}
