package dev.delugefs.metadata;

import java.io.IOException;

/** An expected failure of a filesystem operation, answered to the caller as an errno. */
public final class FsException extends IOException {
    private final Errno errno;

    public FsException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }

    /** Expected outcomes carry no stack trace: they are answers, not bugs, and some are frequent (ENOENT). */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
