package dev.delugefs.discovery;

import java.io.IOException;

/** The peer was reached but the two nodes did not trust each other; retrying will not help. */
public final class ChannelRefusedException extends IOException {

    public enum Reason {
        /** The peer's host key is not the one we pinned: another machine at that address, or an impostor. */
        HOST_KEY_MISMATCH,
        /** The peer refused our node key (not a member) or our join secret. */
        AUTH_REFUSED
    }

    private final Reason reason;

    public ChannelRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
