package dev.delugefs.discovery.internal;

import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.DHFactory;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.util.security.SecurityUtils;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The one place that prepares MINA's crypto. MINA 2.19 does ed25519 only through Bouncy Castle
 * (apache/mina-sshd#585), and its default key exchange (sntrup761) costs ~75 ms per handshake.
 */
public final class SshCrypto {
    private static volatile boolean ready;

    private SshCrypto() {
    }

    /** Fails early, with a message naming the cause, instead of a later "no such algorithm". */
    public static void ensureEd25519() {
        if (ready) {
            return;
        }
        synchronized (SshCrypto.class) {
            if (!ready) {
                if (!SecurityUtils.isBouncyCastleRegistered() || !SecurityUtils.isEDDSACurveSupported()) {
                    throw new IllegalStateException("ed25519 is not available to Apache MINA sshd: "
                            + "org.bouncycastle:bcprov-jdk18on must be on the class path");
                }
                ready = true;
            }
        }
    }

    /** Hybrid post-quantum first where MINA supports it, curve25519 always. */
    public static List<KeyExchangeFactory> keyExchanges(Function<DHFactory, KeyExchangeFactory> toKex) {
        ensureEd25519();
        List<DHFactory> chosen = Stream.of(BuiltinDHFactories.mlkem768x25519, BuiltinDHFactories.curve25519)
                .filter(BuiltinDHFactories::isSupported)
                .map(DHFactory.class::cast)
                .toList();
        if (chosen.isEmpty()) {
            throw new IllegalStateException("neither mlkem768x25519-sha256 nor curve25519-sha256 is supported");
        }
        return NamedFactory.setUpTransformedFactories(false, chosen, toKex);
    }
}
