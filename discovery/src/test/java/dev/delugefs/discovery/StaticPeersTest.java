package dev.delugefs.discovery;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** StaticPeers and {@code hello} over real channel servers on loopback. */
class StaticPeersTest {
    private static final String VOLUME = "0123456789abcdef0123456789abcdef";
    private static final Duration PROBE = Duration.ofMillis(200);

    @TempDir Path dirA;
    @TempDir Path dirB;
    @TempDir Path dirC;
    @TempDir Path dirStranger;

    private NodeKeys keysA;
    private NodeKeys keysB;
    private NodeKeys keysC;
    private NodeKeys keysStranger;
    private AuthorizedKeys members;
    private ChannelClient client;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void keys() throws IOException {
        keysA = NodeKeys.loadOrCreate(dirA, "a");
        keysB = NodeKeys.loadOrCreate(dirB, "b");
        keysC = NodeKeys.loadOrCreate(dirC, "c");
        keysStranger = NodeKeys.loadOrCreate(dirStranger, "stranger");
        members = AuthorizedKeys.of(keysA.publicKeyOpenSsh(), keysB.publicKeyOpenSsh(), keysC.publicKeyOpenSsh(),
                keysStranger.publicKeyOpenSsh());
        client = ChannelClient.start(keysC, Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
        client.close();
    }

    /** A node that answers hello with whatever {@code self} holds at the time. */
    private ChannelServer node(NodeKeys keys, int port, AtomicReference<PeerInfo> self) throws IOException {
        ChannelServer server = ChannelServer.builder(keys).listen(new HostPort("127.0.0.1", port))
                .authorizedKeys(members).start();
        Hello.register(server, self::get);
        toClose.add(server);
        return server;
    }

    private static PeerInfo info(String nodeId, String volume, String head, int port) {
        return new PeerInfo(nodeId, volume, List.of(new HostPort("127.0.0.1", port)), 6881, "host-" + nodeId,
                head, 1000, Instant.EPOCH);
    }

    private StaticPeers staticPeers(HostPort... addresses) {
        StaticPeers peers = StaticPeers.builder(VOLUME, "c", address -> client.anyMember(members, List.of(address)))
                .peers(List.of(addresses))
                .probeInterval(PROBE)
                .timeout(Duration.ofSeconds(2))
                .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
                .start();
        toClose.add(peers);
        return peers;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void helloTellsWhoListensThere() throws IOException {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("a", VOLUME, "h1", a.port()));

        try (PeerSession session = client.anyMember(members, List.of(a.address()))) {
            Instant before = Instant.now();
            PeerInfo answer = Hello.ask(session, Duration.ofSeconds(5));

            assertThat(answer.sameAs(selfA.get())).isTrue();
            assertThat(answer.lastSeen()).isAfterOrEqualTo(before);
            assertThat(session.hostKeyFingerprint()).isEqualTo(keysA.fingerprint());
        }
    }

    @Test
    void aHostKeyOfNoMemberIsRefused() throws IOException {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("a", VOLUME, "h1", a.port()));

        try (PeerSession session = client.anyMember(AuthorizedKeys.of(keysB.publicKeyOpenSsh()),
                List.of(a.address()))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Hello.ask(session, Duration.ofSeconds(5)))
                    .isInstanceOf(ChannelRefusedException.class);
        }
    }

    @Test
    void staticPeersAreFoundFollowedAndLost() throws Exception {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("a", VOLUME, "h1", a.port()));
        int portB = freePort();
        AtomicReference<PeerInfo> selfB = new AtomicReference<>(info("b", VOLUME, "h1", portB));
        ChannelServer b = node(keysB, portB, selfB);
        AtomicReference<PeerInfo> selfS = new AtomicReference<>();
        ChannelServer stranger = node(keysStranger, 0, selfS);
        selfS.set(info("s", "ffffffffffffffffffffffffffffffff", "h1", stranger.port()));
        int nobody = freePort();

        StaticPeers peers = staticPeers(a.address(), b.address(), stranger.address(),
                new HostPort("127.0.0.1", nobody), a.address());
        RecordingListener events = new RecordingListener();
        peers.addListener(events);

        await("a and b are up", () -> peers.peers().size() == 2);
        assertThat(peers.peers()).extracting(PeerInfo::nodeId).containsExactlyInAnyOrder("a", "b");
        assertThat(peers.peer("a").orElseThrow().hostId()).isEqualTo("host-a");

        selfA.set(selfA.get().withState("h2", 999));
        await("a's new head arrives", () -> peers.peer("a").map(p -> p.head().equals("h2")).orElse(false));

        b.close();
        long closed = System.nanoTime();
        await("b is down", () -> peers.peer("b").isEmpty());
        long downMillis = (System.nanoTime() - closed) / 1_000_000;

        node(keysB, portB, selfB);
        await("b is back", () -> peers.peer("b").isPresent());
        // listeners hear it a moment after the peer list changed
        await("b's return is reported", () -> {
            java.util.List<String> seen = events.snapshot();
            return seen.lastIndexOf("up:b") > seen.indexOf("down:b");
        });

        assertThat(events.snapshot()).containsSubsequence("up:a", "changed:a").containsSubsequence("down:b", "up:b")
                .doesNotContain("up:s", "up:c");
        System.out.println("static peer down after " + downMillis + " ms with probe interval " + PROBE.toMillis());
    }

    @Test
    void aPeerListingThisNodeItselfIsNoPeer() throws Exception {
        AtomicReference<PeerInfo> selfC = new AtomicReference<>();
        ChannelServer c = node(keysC, 0, selfC);
        selfC.set(info("c", VOLUME, "h1", c.port()));

        StaticPeers peers = staticPeers(c.address());
        Thread.sleep(500);

        assertThat(peers.peers()).isEmpty();
    }

    @Test
    void compositeWithHelloProbeJoinsStaticPeersAndMarkDown() throws Exception {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("a", VOLUME, "h1", a.port()));
        PeerSession toA = client.anyMember(members, List.of(a.address()));
        toClose.add(toA);
        StaticPeers statics = staticPeers(a.address());
        CompositeMembership membership = CompositeMembership.start(List.of(statics),
                Hello.probe(peer -> toA, Duration.ofSeconds(2)), PROBE);
        toClose.add(membership);

        await("a is up", () -> membership.peer("a").isPresent());
        membership.markDown("a");
        assertThat(membership.peer("a")).isEmpty();
        await("the probe brings a back", () -> membership.peer("a").isPresent());
    }

    @Test
    void aMemberAnsweringWithAnotherMembersIdIsRefused() throws Exception {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("b", VOLUME, "h1", a.port()));
        java.util.Map<String, String> owners = java.util.Map.of(keysA.fingerprint(), "a", keysB.fingerprint(), "b");
        StaticPeers peers = StaticPeers.builder(VOLUME, "c", address -> client.anyMember(members, List.of(address)))
                .peers(List.of(a.address()))
                .identities(fp -> java.util.Optional.ofNullable(owners.get(fp)))
                .probeInterval(PROBE)
                .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
                .start();
        toClose.add(peers);
        Thread.sleep(800);
        assertThat(peers.peers()).isEmpty();

        selfA.set(info("a", VOLUME, "h1", a.port()));
        await("a is up under its own id", () -> peers.peer("a").isPresent());
    }

    @Test
    void addressesCanBeReplacedWhileRunning() throws Exception {
        AtomicReference<PeerInfo> selfA = new AtomicReference<>();
        ChannelServer a = node(keysA, 0, selfA);
        selfA.set(info("a", VOLUME, "h1", a.port()));
        StaticPeers peers = staticPeers();

        peers.replace(List.of(a.address()));
        await("a is up", () -> peers.peer("a").isPresent());
        peers.replace(List.of());
        await("a is gone with its address", () -> peers.peer("a").isEmpty());
    }
}
