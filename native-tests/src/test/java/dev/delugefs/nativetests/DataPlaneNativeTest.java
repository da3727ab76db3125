package dev.delugefs.nativetests;

import static dev.delugefs.nativetests.LoopbackCluster.contentId;
import static dev.delugefs.nativetests.LoopbackCluster.freePort;
import static dev.delugefs.nativetests.LoopbackCluster.inventory;
import static dev.delugefs.nativetests.LoopbackCluster.sizeOf;
import static dev.delugefs.nativetests.LoopbackCluster.status;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The data plane (issue #4): file bytes written on one node read on the others through BitTorrent swarms,
 * and stock BitTorrent clients fetch them from a node. Nodes are separate processes on loopback.
 */
class DataPlaneNativeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Sandbox sandbox;

    @BeforeEach
    void sandbox(TestInfo info) {
        sandbox = Sandbox.create("DataPlane-" + info.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void cleanup() {
        sandbox.close();
    }

    @Test
    void everyFileReadsTheSameOnEveryNodeAndSurvivesItsSourceDyingMidRead() throws Exception {
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 3);
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);

        // a 200 MB file written on A reads on C byte for byte
        byte[] big = Data.random(1, 200_000_000);
        Data.write(a.p("big.bin"), big);
        eventually("C sees big.bin whole", () -> sizeOf(c.p("big.bin")) == big.length);
        assertThat(Data.sha256(c.p("big.bin"))).isEqualTo(Data.sha256(big));

        // reads at random offsets of a file no read on C has touched yet
        byte[] other = Data.random(2, 48 * Data.MIB + 321);
        Path reference = Data.write(sandbox.path("other.ref"), other);
        Data.write(a.p("other.bin"), other);
        eventually("C sees other.bin whole", () -> sizeOf(c.p("other.bin")) == other.length);
        String mismatches = Py.run("""
                import os, random
                f = os.open(p[0], os.O_RDONLY); ref = os.open(p[1], os.O_RDONLY)
                size = os.fstat(ref).st_size
                rnd = random.Random(7); bad = []
                for i in range(150):
                    off = rnd.randrange(size); n = rnd.randrange(1, 300000)
                    if os.pread(f, n, off) != os.pread(ref, n, off): bad.append((off, n))
                print(len(bad), bad[:3])
                """, Py.bytes(c.p("other.bin")), Py.bytes(reference)).out().strip();
        assertThat(mismatches).as("random-offset reads on C that differ from the bytes written on A").startsWith("0 ");

        // 200 small files copied out of the mount on C
        List<byte[]> smalls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] bytes = Data.random(100 + i, 1 + (i * 7919) % (1 << 20));
            smalls.add(bytes);
            Data.write(a.p("small/f" + i), bytes);
        }
        eventually("C sees the 200 small files", () -> sizeOf(c.p("small/f199")) == smalls.get(199).length);
        Path copy = sandbox.path("small-copy");
        Cmd.of("cp", "-r", c.p("small").toString(), copy.toString()).timeout(Duration.ofSeconds(120)).ok();
        for (int i = 0; i < 200; i++) {
            assertThat(Data.sha256(copy.resolve("f" + i))).as("small file f" + i).isEqualTo(Data.sha256(smalls.get(i)));
        }
        JsonNode statusC = status(c);
        assertThat(statusC.path("swarm").has("hashFailures")).as("status shows the hash failures").isTrue();
        assertThat(statusC.path("swarm").path("hashFailures").asLong())
                .as("pieces that failed their hash on C (downloads of several files must not mix)").isZero();
        assertThat(statusC.path("swarm").path("smallFilesByStream").asLong())
                .as("small files C fetched over a holder's content stream").isPositive();
        assertThat(statusC.path("swarm").path("smallFilesByChannel").asLong())
                .as("small files C had to fetch over the SSH channel instead").isZero();
        assertThat(statusC.path("peers")).as("C's peers in its status").hasSize(2);

        // the source dies while C reads; B holds a copy (pinned), and the read completes from it
        byte[] last = Data.random(3, 160 * Data.MIB);
        Data.write(a.p("last.bin"), last);
        eventually("B sees last.bin whole", () -> sizeOf(b.p("last.bin")) == last.length);
        Cmd.Result pin = NodeProcess.cli("pin", b.p("last.bin").toString()).timeout(Duration.ofSeconds(120)).run();
        assertThat(pin.exit()).as(pin.describe("delugefs pin on B")).isZero();
        assertThat(inventory(b)).as("B holds last.bin complete after pin").contains(contentId(a, "last.bin"));
        eventually("C sees last.bin whole", () -> sizeOf(c.p("last.bin")) == last.length);
        Path progress = sandbox.path("read-progress");
        CompletableFuture<String> slowRead = CompletableFuture.supplyAsync(() -> Py.cmd("""
                import hashlib, time
                h = hashlib.sha256(); done = 0
                with open(p[0], 'rb', buffering=0) as f:
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk: break
                        h.update(chunk); done += len(chunk)
                        open(p[1], 'w').write(str(done)); time.sleep(0.05)
                print(h.hexdigest())
                """, Py.bytes(c.p("last.bin")), Py.bytes(progress)).timeout(Duration.ofSeconds(180)).ok().out().strip());
        eventually("C has read 20 MiB of last.bin", () -> bytesRead(progress) >= 20 * Data.MIB || slowRead.isDone());
        assertThat(slowRead).as("the read is still running when A dies").isNotDone();
        a.kill9();
        assertThat(slowRead.get()).as("sha256 of last.bin read on C").isEqualTo(Data.sha256(last));

        b.stop();
        c.stop();
    }

    @Test
    void aPeerServingCorruptPiecesIsOutvotedByTheHash() throws Exception {
        // two copies are the target: with A's and B's the file is at target, and replication neither adds
        // nor trims one (it cannot know that B's copy rots on disk); reads give up after 5 s
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 3, List.of(), List.of("--read-timeout", "5"));
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        NodeProcess c = cluster.node(2);
        // C is away while the file gets its two copies: replication would otherwise pick C as often as B
        // for the second one, and C would then read its own good copy
        c.stop();
        byte[] bytes = Data.random(5, 32 * Data.MIB);
        Data.write(a.p("f.bin"), bytes);
        eventually("B sees f.bin whole", () -> sizeOf(b.p("f.bin")) == bytes.length);
        NodeProcess.cli("pin", b.p("f.bin").toString()).timeout(Duration.ofSeconds(120)).ok();
        String id = contentId(a, "f.bin");
        assertThat(inventory(b)).as("B holds f.bin complete after pin").contains(id);
        cluster.restart(2);
        // B's copy goes bad on its disk behind its back: one byte in every piece
        Path stored = b.root().resolve("blocks").resolve(id.substring(0, 2)).resolve(id);
        for (long offset = 4096; offset < bytes.length; offset += Data.MIB) {
            Data.flipByte(stored, offset);
        }
        eventually("C sees f.bin whole", () -> sizeOf(c.p("f.bin")) == bytes.length);
        assertThat(inventory(c)).as("C holds no copy of f.bin before it reads").doesNotContain(id);

        // A's copy goes missing for a while (moved aside): B is the only holder, and every piece C gets
        // from it fails its hash; the read ends in EIO and nothing bad is kept
        Path storedOnA = a.root().resolve("blocks").resolve(id.substring(0, 2)).resolve(id);
        Path aside = sandbox.path("aside");
        Files.move(storedOnA, aside);
        assertThat(Py.errno("open(p[0], 'rb').read()", Py.bytes(c.p("f.bin")))).isEqualTo("EIO");
        assertThat(status(c).path("swarm").path("hashFailures").asLong())
                .as("pieces from B that failed their hash on C").isPositive();

        // A has its copy again: after a restart of C (bt 1.10 does not always recover a torrent whose peer
        // was dropped mid-transfer) the same file reads right on C, from A and B, B's pieces rejected again
        Files.move(aside, storedOnA);
        c.stop();
        cluster.restart(2);
        try {
            LoopbackCluster.eventually("f.bin reads right on C", 60,
                    () -> Py.errno("open(p[0], 'rb').read()", Py.bytes(c.p("f.bin"))).equals("OK"));
        } catch (AssertionError e) {
            List<String> lines = c.stderr().lines().filter(l -> !l.startsWith("\t") && !l.contains("PieceConsumer"))
                    .toList();
            throw new AssertionError(e.getMessage() + "\n--- C's log ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())), e);
        }
        assertThat(Data.sha256(c.p("f.bin"))).as("f.bin read on C").isEqualTo(Data.sha256(bytes));
        cluster.stopAll();
    }

    @Test
    void stockBitTorrentClientsFetchAFileFromANode() throws Exception {
        // one copy is the target: the test counts which pieces of a file move, and replication would move them all
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 2, "--replication", "1");
        NodeProcess a = cluster.node(0);
        byte[] bytes = Data.random(6, 7 * Data.MIB + 77);
        Data.write(a.p("shared.bin"), bytes);
        Path torrent = sandbox.path("shared.torrent");
        Files.write(torrent, NodeProcess.cli("torrent", a.p("shared.bin").toString()).ok().stdoutBytes());
        int btPort = status(a).path("swarm").path("btPort").asInt();
        assertThat(btPort).isPositive();

        // python3-libtorrent, told the node's address
        Path ltDir = sandbox.newDir("lt");
        String ltHash = Py.cmd("""
                import libtorrent as lt, time, hashlib, os
                s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                                'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
                                'enable_incoming_utp': False, 'allow_multiple_connections_per_ip': True})
                h = s.add_torrent({'ti': lt.torrent_info(p[0].decode()), 'save_path': p[1].decode()})
                h.connect_peer(('127.0.0.1', int(p[2].decode())))
                deadline = time.time() + 60
                while not h.status().is_seeding and time.time() < deadline:
                    time.sleep(0.1)
                print(hashlib.sha256(open(os.path.join(p[1].decode(), 'data'), 'rb').read()).hexdigest())
                """, Py.bytes(torrent), Py.bytes(ltDir), String.valueOf(btPort).getBytes(StandardCharsets.US_ASCII))
                .timeout(Duration.ofSeconds(90)).ok().out().strip();
        assertThat(ltHash).as("sha256 of what libtorrent downloaded").isEqualTo(Data.sha256(bytes));

        // aria2c learns peers only from a tracker: a tiny one on loopback names the node
        HttpServer tracker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        tracker.createContext("/announce", exchange -> {
            byte[] body = announceReply(btPort);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tracker.start();
        try {
            Path ariaDir = sandbox.newDir("aria");
            Cmd.Result aria = Cmd.of("aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                    "--enable-peer-exchange=false", "--seed-time=0", "--summary-interval=0", "--console-log-level=warn",
                    "--bt-tracker=http://127.0.0.1:" + tracker.getAddress().getPort() + "/announce",
                    "--listen-port=" + freePort(), "--dir=" + ariaDir, torrent.toString())
                    .timeout(Duration.ofSeconds(90)).run();
            assertThat(aria.exit()).as(aria.describe("aria2c")).isZero();
            assertThat(Data.sha256(ariaDir.resolve("data"))).as("sha256 of what aria2c downloaded")
                    .isEqualTo(Data.sha256(bytes));
        } finally {
            tracker.stop(0);
        }

        // B changes the first 4 MiB of the file A holds: only the 4 pieces it keeps come over the wire
        NodeProcess b = cluster.node(1);
        byte[] head = Data.random(7, 4 * Data.MIB);
        String oldId = contentId(a, "shared.bin");
        Py.run("with open(p[0], 'r+b') as f:\n    f.write(open(p[1], 'rb').read())",
                Py.bytes(b.p("shared.bin")), Py.bytes(Data.write(sandbox.path("head.bin"), head)));
        byte[] changed = bytes.clone();
        System.arraycopy(head, 0, changed, 0, head.length);
        eventually("A sees B's change", () -> !contentId(a, "shared.bin").equals(oldId));
        assertThat(Data.sha256(a.p("shared.bin"))).as("the changed file read on A").isEqualTo(Data.sha256(changed));
        JsonNode oldOnB = null;
        for (JsonNode t : status(b).path("swarm").path("transfers")) {
            if (t.path("content").asText().equals(oldId)) {
                oldOnB = t;
            }
        }
        assertThat(oldOnB).as("B fetched part of the old content").isNotNull();
        assertThat(oldOnB.path("pieces").asInt()).isEqualTo(8);
        assertThat(oldOnB.path("piecesVerified").asInt()).as("old pieces B fetched: those it did not overwrite")
                .isEqualTo(4);
        cluster.stopAll();
    }

    /** {@code d8:intervali60e5:peers6:<ip><port>e}: the compact form of one peer, 127.0.0.1:port. */
    private static byte[] announceReply(int port) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("d8:intervali60e5:peers6:".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        out.write('e');
        return out.toByteArray();
    }

    private static long bytesRead(Path progress) {
        try {
            return Long.parseLong(Files.readString(progress).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static void eventually(String what, BooleanSupplier condition) {
        LoopbackCluster.eventually(what, 30, condition);
    }
}
