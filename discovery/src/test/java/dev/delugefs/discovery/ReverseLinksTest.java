package dev.delugefs.discovery;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reverse link over real channel servers on loopback: B dials A, and A then reaches B's channel and B's
 * other ports only through B's session, as it must when B is behind NAT.
 */
class ReverseLinksTest {
    private static final String VOLUME = "0123456789abcdef0123456789abcdef";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir Path dirA;
    @TempDir Path dirB;
    @TempDir Path dirC;

    private NodeKeys keysA;
    private NodeKeys keysB;
    private NodeKeys keysC;
    private AuthorizedKeys members;
    private ChannelServer serverA;
    private ChannelServer serverB;
    private InboundPeers inboundA;
    private ServerSocket otherPortB;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        keysA = NodeKeys.loadOrCreate(dirA, "a");
        keysB = NodeKeys.loadOrCreate(dirB, "b");
        keysC = NodeKeys.loadOrCreate(dirC, "c");
        members = AuthorizedKeys.of(keysA.publicKeyOpenSsh(), keysB.publicKeyOpenSsh(), keysC.publicKeyOpenSsh());
        Map<String, String> owners = Map.of(keysA.fingerprint(), "a", keysB.fingerprint(), "b",
                keysC.fingerprint(), "c");
        serverA = ChannelServer.builder(keysA).listen(new HostPort("127.0.0.1", 0)).authorizedKeys(members).start();
        toClose.add(serverA);
        inboundA = InboundPeers.start(serverA, VOLUME, "a", fp -> Optional.ofNullable(owners.get(fp)));
        toClose.add(inboundA);
        serverB = ChannelServer.builder(keysB).listen(new HostPort("127.0.0.1", 0)).authorizedKeys(members).start();
        toClose.add(serverB);
        serverB.register("whoami", request -> {
            request.stdout().write(("b serves " + request.peer().id()).getBytes(StandardCharsets.UTF_8));
            return 0;
        });
        otherPortB = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress());
        toClose.add(otherPortB);
        Thread greeter = new Thread(() -> {
            while (!otherPortB.isClosed()) {
                try (Socket s = otherPortB.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("hello from b's other port\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    return;
                }
            }
        }, "greeter");
        greeter.setDaemon(true);
        greeter.start();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private PeerInfo hello(String nodeId, int btPort) {
        return new PeerInfo(nodeId, VOLUME, List.of(serverB.address()), btPort, "host", "h1", 1, Instant.now());
    }

    private PeerSession dialA(NodeKeys as) {
        ChannelClient client = ChannelClient.start(as);
        toClose.add(client);
        PeerSession session = client.member(keysA.fingerprint(), serverA.address());
        toClose.add(session);
        return session;
    }

    @Test
    void aMemberThatDialedUsIsReachedBackThroughItsOwnSession() throws Exception {
        PeerSession bToA = dialA(keysB);
        ReverseLinks links = new ReverseLinks(serverB.address(),
                List.of(new HostPort("127.0.0.1", otherPortB.getLocalPort())),
                () -> hello("b", otherPortB.getLocalPort()), TIMEOUT);
        links.keep("a", bToA);

        await("a knows b by its link", () -> inboundA.peer("b").isPresent());
        PeerInfo b = inboundA.peer("b").orElseThrow();
        InboundPeers.Link link = inboundA.link("b").orElseThrow();
        assertThat(b.addresses()).containsExactly(link.channel());
        assertThat(link.channel().port()).isNotEqualTo(serverB.port());
        assertThat(b.btPort()).isEqualTo(link.port(otherPortB.getLocalPort())).isPositive();

        ChannelClient clientA = ChannelClient.start(keysA);
        toClose.add(clientA);
        try (PeerSession aToB = clientA.anyMember(members, b.addresses(), link::port)) {
            ExecResult answer = aToB.exec("whoami", new byte[0], TIMEOUT);
            assertThat(answer.stdoutText()).isEqualTo("b serves " + keysA.fingerprint());
            assertThat(aToB.hostKeyFingerprint()).isEqualTo(keysB.fingerprint());

            InetSocketAddress other = aToB.reach(otherPortB.getLocalPort());
            assertThat(other.getPort()).isNotEqualTo(otherPortB.getLocalPort());
            try (Socket s = new Socket(other.getAddress(), other.getPort()); InputStream in = s.getInputStream()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo("hello from b's other port\n");
            }
        }

        links.keep("a", bToA);
        assertThat(inboundA.link("b").orElseThrow().channel()).isEqualTo(link.channel());

        bToA.close();
        await("b's link ends with its session", () -> inboundA.peer("b").isEmpty());
        assertThat(inboundA.link("b")).isEmpty();
    }

    @Test
    void aMemberClaimingAnotherMembersIdIsRefused() throws Exception {
        PeerSession cToA = dialA(keysC);
        ExecResult claim = cToA.exec(InboundPeers.COMMAND + " " + cToA.forwardBack(serverB.address()),
                dev.delugefs.discovery.internal.PeerInfoJson.write(hello("b", 6881)), TIMEOUT);

        assertThat(claim.exitStatus()).isEqualTo(1);
        assertThat(claim.stderrText()).contains("you are not node b");
        Thread.sleep(300);
        assertThat(inboundA.peers()).isEmpty();
        assertThat(inboundA.link("b")).isEmpty();
    }

    @Test
    void garbageIsRefused() throws Exception {
        PeerSession bToA = dialA(keysB);
        for (String command : List.of(InboundPeers.COMMAND, InboundPeers.COMMAND + " 70000",
                InboundPeers.COMMAND + " 1234 x", InboundPeers.COMMAND + " 1234")) {
            ExecResult answer = bToA.exec(command, "not json".getBytes(StandardCharsets.UTF_8), TIMEOUT);
            assertThat(answer.exitStatus()).as(command).isEqualTo(2);
        }
        assertThat(inboundA.peers()).isEmpty();
    }

    @Test
    void theServerLetsNobodyListenElsewhereThanOnItsLoopback() throws Exception {
        PeerSession bToA = dialA(keysB);
        bToA.session();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bToA.session().startRemotePortForwarding(
                        new org.apache.sshd.common.util.net.SshdSocketAddress("0.0.0.0", 0),
                        new org.apache.sshd.common.util.net.SshdSocketAddress("127.0.0.1", serverB.port())))
                .isInstanceOf(IOException.class);
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
}
