package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.PeerInfoJson;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code hello} control command: a node answers with its {@link PeerInfo} as JSON. It names a peer
 * known only by address, and, asked again and again, it is the heartbeat that tells a peer is gone.
 */
public final class Hello {
    public static final String COMMAND = "hello";

    private Hello() {
    }

    /** {@code self} is asked on each call, so the answer carries the current head and free space. */
    public static void register(ChannelServer server, Supplier<PeerInfo> self) {
        Objects.requireNonNull(self, "self");
        server.register(COMMAND, request -> {
            request.stdout().write(PeerInfoJson.write(self.get()));
            return 0;
        });
    }

    public static PeerInfo ask(PeerSession session, Duration timeout) throws IOException {
        return ask(session, timeout, Clock.systemUTC());
    }

    static PeerInfo ask(PeerSession session, Duration timeout, Clock clock) throws IOException {
        ExecResult result = session.exec(COMMAND, new byte[0], timeout);
        if (!result.succeeded()) {
            throw new IOException("'" + COMMAND + "' on " + session + " exited with " + result.exitStatus() + ": "
                    + result.stderrText().strip());
        }
        return PeerInfoJson.read(result.stdout(), clock.instant());
    }

    /**
     * A probe that says hello over the session the caller keeps for each peer (one shared session per peer,
     * DESIGN §10); {@code sessions} must follow the addresses in the {@link PeerInfo} it is given, as a restarted
     * peer may listen elsewhere. A peer that answers with another node id counts as unreachable: someone else
     * took its address.
     */
    public static PeerProbe probe(Function<PeerInfo, PeerSession> sessions, Duration timeout) {
        return known -> {
            PeerInfo answer = ask(sessions.apply(known), timeout);
            if (!answer.nodeId().equals(known.nodeId())) {
                throw new IOException("node " + answer.shortId() + " answers at the address of " + known.shortId());
            }
            return answer;
        };
    }
}
