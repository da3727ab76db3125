package dev.delugefs.discovery;

import java.io.IOException;

/** A named command of the channel (e.g. {@code head}, {@code join}, {@code git-upload-pack}). */
@FunctionalInterface
public interface CommandHandler {

    /**
     * Runs on a shared, bounded pool: a handler that waits for long holds a thread others need.
     *
     * @return the exit status sent to the client; an exception becomes status 1 with its message on stderr
     */
    int run(CommandRequest request) throws IOException;
}
