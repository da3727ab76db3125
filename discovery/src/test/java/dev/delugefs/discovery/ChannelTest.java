package dev.delugefs.discovery;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.delugefs.discovery.ChannelRefusedException.Reason;
import dev.delugefs.discovery.internal.MemberKeyAuthenticator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(ChannelTest.class);

    @TempDir Path serverRoot;
    @TempDir Path memberRoot;
    @TempDir Path strangerRoot;

    private NodeKeys serverKeys;
    private NodeKeys memberKeys;
    private NodeKeys strangerKeys;
    private JoinToken token;
    private ChannelServer server;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ListAppender<ILoggingEvent> refusals = new ListAppender<>();

    @BeforeEach
    void startServer() throws IOException {
        serverKeys = NodeKeys.loadOrCreate(serverRoot, "server");
        memberKeys = NodeKeys.loadOrCreate(memberRoot, "member");
        strangerKeys = NodeKeys.loadOrCreate(strangerRoot, "stranger");
        server = ChannelServer.builder(serverKeys)
                .listen(new HostPort("127.0.0.1", 0))
                .authorizedKeys(AuthorizedKeys.of(serverKeys.publicKeyOpenSsh(), memberKeys.publicKeyOpenSsh()))
                .joinSecretHash(() -> Optional.of(token.secretHash()))
                .start();
        token = JoinToken.issue(NodeIdentity.randomId(), serverKeys.fingerprint(), List.of(server.address()));
        server.register("echo-test", request -> {
            byte[] input = request.stdin().readAllBytes();
            request.stdout().write((String.join(" ", request.args()) + "|" + request.peer().id() + "|")
                    .getBytes(StandardCharsets.UTF_8));
            request.stdout().write(input);
            return 0;
        });
        server.register("join", request -> {
            request.stdout().write(("welcome " + request.peer().id()).getBytes(StandardCharsets.UTF_8));
            return 0;
        });
        server.register("exit-code", request -> Integer.parseInt(request.args().get(0)));
        refusals.start();
        ((Logger) LoggerFactory.getLogger(MemberKeyAuthenticator.class)).addAppender(refusals);
    }

    @AfterEach
    void closeAll() throws Exception {
        ((Logger) LoggerFactory.getLogger(MemberKeyAuthenticator.class)).detachAppender(refusals);
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
        server.close();
    }

    private ChannelClient client(NodeKeys keys) {
        ChannelClient client = ChannelClient.start(keys);
        toClose.add(client);
        return client;
    }

    private PeerSession memberSession() {
        PeerSession peer = client(memberKeys).member(serverKeys.fingerprint(), server.address());
        toClose.add(peer);
        return peer;
    }

    @Test
    void memberRunsARegisteredCommand() throws IOException {
        PeerSession peer = memberSession();

        long start = System.nanoTime();
        peer.session();
        LOG.info("handshake + login took {} ms", (System.nanoTime() - start) / 1_000_000);
        ExecResult result = peer.exec("echo-test hello 'two words'", "input".getBytes(StandardCharsets.UTF_8), TIMEOUT);

        assertThat(result.exitStatus()).isZero();
        assertThat(result.stdoutText()).isEqualTo("hello two words|" + memberKeys.fingerprint() + "|input");
        assertThat(peer.exec("exit-code 3", new byte[0], TIMEOUT).exitStatus()).isEqualTo(3);
    }

    @Test
    void twoHundredCommandsInParallelShareOneSession() throws Exception {
        PeerSession peer = memberSession();
        var session = peer.session();
        ExecutorService callers = Executors.newFixedThreadPool(32);
        try {
            List<Future<Long>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String arg = "n" + i;
                calls.add(callers.submit(() -> {
                    long start = System.nanoTime();
                    ExecResult result = peer.exec("echo-test " + arg, new byte[0], TIMEOUT);
                    assertThat(result.exitStatus()).isZero();
                    assertThat(result.stdoutText()).startsWith(arg + "|");
                    return System.nanoTime() - start;
                }));
            }
            for (Future<Long> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(peer.session()).isSameAs(session);

        List<Long> sequential = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            long start = System.nanoTime();
            peer.exec("echo-test x", new byte[0], TIMEOUT);
            sequential.add(System.nanoTime() - start);
        }
        Collections.sort(sequential);
        LOG.info("median command round trip: {} us", sequential.get(sequential.size() / 2) / 1000);
    }

    @Test
    void unknownCommandExitsWith127() throws IOException {
        ExecResult result = memberSession().exec("no-such-command arg", new byte[0], TIMEOUT);

        assertThat(result.exitStatus()).isEqualTo(127);
        assertThat(result.stderrText()).contains("unknown command: no-such-command");
    }

    @Test
    void failingHandlerExitsWith1AndItsMessage() throws IOException {
        server.register("broken", request -> {
            throw new IOException("disk on fire");
        });

        ExecResult result = memberSession().exec("broken", new byte[0], TIMEOUT);

        assertThat(result.exitStatus()).isEqualTo(1);
        assertThat(result.stderrText()).contains("disk on fire");
    }

    @Test
    void unknownKeyIsRefusedAndLoggedWithItsFingerprint() {
        PeerSession stranger = client(strangerKeys).member(serverKeys.fingerprint(), server.address());
        toClose.add(stranger);

        assertThatThrownBy(() -> stranger.exec("echo-test", new byte[0], TIMEOUT))
                .isInstanceOfSatisfying(ChannelRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTH_REFUSED))
                .hasMessageContaining(strangerKeys.fingerprint())
                .hasMessageContaining("not (or not yet) a member");
        assertThat(refusals.list).anySatisfy(event -> assertThat(event.getFormattedMessage())
                .contains("refused key " + strangerKeys.fingerprint())
                .contains("127.0.0.1"));
    }

    @Test
    void wrongHostKeyIsRefusedByTheClient() {
        PeerSession peer = client(memberKeys).member(strangerKeys.fingerprint(), server.address());
        toClose.add(peer);

        assertThatThrownBy(() -> peer.exec("echo-test", new byte[0], TIMEOUT))
                .isInstanceOfSatisfying(ChannelRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.HOST_KEY_MISMATCH))
                .hasMessageContaining(serverKeys.fingerprint())
                .hasMessageContaining(strangerKeys.fingerprint());
    }

    @Test
    void joinSecretRunsJoinAndNothingElse() throws IOException {
        PeerSession newcomer = client(strangerKeys).joining(token);
        toClose.add(newcomer);

        ExecResult joined = newcomer.exec("join", new byte[0], TIMEOUT);
        ExecResult other = newcomer.exec("echo-test", new byte[0], TIMEOUT);

        assertThat(joined.exitStatus()).isZero();
        assertThat(joined.stdoutText()).isEqualTo("welcome join");
        assertThat(other.exitStatus()).isEqualTo(126);
        assertThat(other.stderrText()).contains("not allowed");
    }

    @Test
    void wrongJoinSecretIsRefused() {
        JoinToken forged = JoinToken.issue(token.volumeId(), token.hostKeyFingerprint(), token.addresses());
        PeerSession newcomer = client(strangerKeys).joining(forged);
        toClose.add(newcomer);

        assertThatThrownBy(() -> newcomer.exec("join", new byte[0], TIMEOUT))
                .isInstanceOfSatisfying(ChannelRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTH_REFUSED))
                .hasMessageContaining("join secret");
    }

    @Test
    void brokenSessionIsReplacedOnNextCall() throws IOException {
        PeerSession peer = memberSession();
        var first = peer.session();
        first.close(true);

        ExecResult result = peer.exec("echo-test again", new byte[0], TIMEOUT);

        assertThat(result.exitStatus()).isZero();
        assertThat(peer.session()).isNotSameAs(first);
    }

    @Test
    void idleSessionsAreDroppedUnlessTheClientHeartbeats() throws Exception {
        try (ChannelServer strict = ChannelServer.builder(serverKeys)
                .authorizedKeys(AuthorizedKeys.of(memberKeys.publicKeyOpenSsh()))
                .idleTimeout(Duration.ofMillis(1500))
                .start();
             ChannelClient beating = ChannelClient.start(memberKeys, TIMEOUT, Duration.ofMillis(300));
             ChannelClient silent = ChannelClient.start(memberKeys, TIMEOUT, Duration.ZERO);
             PeerSession alive = beating.member(serverKeys.fingerprint(), strict.address());
             PeerSession idle = silent.member(serverKeys.fingerprint(), strict.address())) {
            var kept = alive.session();
            var dropped = idle.session();

            Thread.sleep(3500);

            assertThat(kept.isOpen()).isTrue();
            assertThat(dropped.isOpen()).isFalse();
            assertThat(idle.exec("no-such", new byte[0], TIMEOUT).exitStatus()).isEqualTo(127);
        }
    }

    @Test
    void unreachablePeerFailsWithTheAddress() throws IOException {
        HostPort closed = server.address();
        server.close();
        PeerSession peer = memberSession();

        assertThatThrownBy(() -> peer.exec("echo-test", new byte[0], TIMEOUT))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(ChannelRefusedException.class)
                .hasMessageContaining(closed.toString());
    }
}
