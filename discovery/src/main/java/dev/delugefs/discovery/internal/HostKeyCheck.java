package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.NodeKeys;
import org.apache.sshd.common.AttributeRepository.AttributeKey;

import java.security.PublicKey;

/**
 * The host key one connection attempt expects, and what it saw; it travels with the attempt as MINA
 * connection context, so a single client can pin a different key per peer.
 */
final class HostKeyCheck {
    static final AttributeKey<HostKeyCheck> KEY = new AttributeKey<>();

    private final String expectedFingerprint;
    private volatile String mismatch;
    private volatile boolean verified;

    HostKeyCheck(String expectedFingerprint) {
        this.expectedFingerprint = expectedFingerprint;
    }

    boolean accept(PublicKey key) {
        String seen = NodeKeys.fingerprintOf(key);
        if (expectedFingerprint.equals(seen)) {
            verified = true;
            return true;
        }
        mismatch = seen;
        return false;
    }

    String expected() {
        return expectedFingerprint;
    }

    /** The fingerprint offered instead of the expected one, or null. */
    String mismatch() {
        return mismatch;
    }

    boolean verified() {
        return verified;
    }
}
