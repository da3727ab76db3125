package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.NodeKeys;
import org.apache.sshd.common.AttributeRepository.AttributeKey;

import java.security.PublicKey;
import java.util.function.Predicate;

/**
 * The host key one connection attempt expects, and what it saw; it travels with the attempt as MINA
 * connection context, so a single client can pin a different key per peer.
 */
final class HostKeyCheck {
    static final AttributeKey<HostKeyCheck> KEY = new AttributeKey<>();

    private final String expected;
    private final Predicate<String> trusted;
    private volatile String mismatch;
    private volatile String accepted;

    HostKeyCheck(String expected, Predicate<String> trusted) {
        this.expected = expected;
        this.trusted = trusted;
    }

    boolean accept(PublicKey key) {
        String seen = NodeKeys.fingerprintOf(key);
        if (trusted.test(seen)) {
            accepted = seen;
            return true;
        }
        mismatch = seen;
        return false;
    }

    /** The pinned fingerprint, or a description of the keys trusted, for messages. */
    String expected() {
        return expected;
    }

    /** The fingerprint that was accepted, or null. */
    String verifiedFingerprint() {
        return accepted;
    }

    /** The fingerprint offered instead of the expected one, or null. */
    String mismatch() {
        return mismatch;
    }

    boolean verified() {
        return accepted != null;
    }
}
