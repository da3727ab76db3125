package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real bt runtimes on loopback, each over its own block store. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SwarmRuntimeTest {
    private static final Logger LOG = LoggerFactory.getLogger(SwarmRuntimeTest.class);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    @TempDir Path dir;

    @Test
    void fetchesByteIdenticalContentAndServesItOnWithoutTheSource() throws Exception {
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             BlockStore storeC = BlockStore.open(dir.resolve("c"));
             SwarmRuntime c = SwarmRuntime.open(storeC, LOOPBACK, 0);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            ContentInfo small = seal(storeA, KIB, 16 * KIB, 1);
            ContentInfo odd = seal(storeA, MIB + 1, 256 * KIB, 2);
            ContentInfo large = seal(storeA, 20 * MIB, MIB, 3);
            List<ContentInfo> contents = List.of(small, odd, large);
            InetSocketAddress addressA;
            try (SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0)) {
                addressA = a.localAddress();
                assertThat(addressA.getPort()).isPositive();
                for (ContentInfo content : contents) {
                    a.seed(content);
                }
                for (ContentInfo content : contents) {
                    long start = System.nanoTime();
                    assertThat(b.fetch(content, List.of(addressA), Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS))
                            .isEqualTo(content);
                    logSpeed("A→B", content, System.nanoTime() - start);
                    assertThat(storeB.has(content.id())).isTrue();
                    assertThat(sha256(storeB, content)).isEqualTo(sha256(storeA, content));
                }
                assertThat(a.hashFailures()).isZero();
            }
            for (ContentInfo content : contents) {
                b.seed(content);
            }
            for (ContentInfo content : contents) {
                long start = System.nanoTime();
                // A is gone: its address is one more peer C must get past
                assertThat(c.fetch(content, List.of(addressA, b.localAddress()), Duration.ofSeconds(30))
                        .get(40, TimeUnit.SECONDS)).isEqualTo(content);
                logSpeed("B→C", content, System.nanoTime() - start);
                assertThat(sha256(storeC, content)).isEqualTo(sha256(storeA, content));
            }
            assertThat(b.hashFailures()).isZero();
            assertThat(c.hashFailures()).isZero();
        }
    }

    @Test
    void fetchWithoutReachablePeerTimesOut() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            deadPort = socket.getLocalPort();
        }
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            ContentInfo content = seal(storeA, MIB, 256 * KIB, 4);
            long start = System.nanoTime();
            assertThatThrownBy(() -> b.fetch(content, List.of(new InetSocketAddress(LOOPBACK, deadPort)),
                    Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class);
            // the point is that it ends; a loaded machine may take a while to say so
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(15).toNanos());
            assertThat(storeB.has(content.id())).isFalse();
            assertThat(storeB.stored()).isEmpty();
        }
    }

    @Test
    void corruptPieceIsCountedAndNeverCompletes() throws Exception {
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            ContentInfo content = seal(storeA, MIB, 256 * KIB, 5);
            corruptByte(dir.resolve("a"), content, 300 * KIB);
            a.seed(content);  // trusted without re-hashing: A serves the bad piece
            assertThatThrownBy(() -> b.fetch(content, List.of(a.localAddress()), Duration.ofSeconds(4))
                    .get(15, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class);
            assertThat(b.hashFailures()).isPositive();
            assertThat(storeB.has(content.id())).isFalse();
        }
    }

    @Test
    void rangeFetchBringsTheRangeReadableFirst() throws Exception {
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            ContentInfo content = seal(storeA, 24 * MIB + 5, 256 * KIB, 6);
            a.seed(content);
            byte[] all = readAll(storeA, content);
            long offset = 17 * MIB + 12345;
            int length = 300 * KIB;
            b.fetchRange(content, offset, length, 0, List.of(a.localAddress()), Duration.ofSeconds(30))
                    .get(40, TimeUnit.SECONDS);
            try (ContentReader reader = b.openFetched(content)) {
                ByteBuffer got = ByteBuffer.allocate(length);
                reader.read(got, offset);
                assertThat(got.array()).isEqualTo(java.util.Arrays.copyOfRange(all, (int) offset, (int) offset + length));
            }
            // only what a read asked for is fetched: not the whole content
            assertThat(storeB.has(content.id())).isFalse();
            assertThat(b.transfers()).singleElement().satisfies(t -> {
                assertThat(t.piecesVerified()).isBetween(2, 8);
                assertThat(t.pieceCount()).isEqualTo(content.pieceCount());
            });
            // the last byte, read ahead to the end, and then the rest
            b.fetchRange(content, content.length() - 1, 1, MIB, List.of(), Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
            b.fetch(content, List.of(), Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
            assertThat(readAll(storeB, content)).isEqualTo(all);
            assertThat(b.transfers()).isEmpty();
            assertThat(b.hashFailures()).isZero();
        }
    }

    @Test
    void readsOfManyContentsAtOnceAllCompleteWithoutHashFailures() throws Exception {
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            List<ContentInfo> contents = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                // same piece indices in every content: the registry collision would show as hash failures
                ContentInfo content = seal(storeA, (i % 3 == 0 ? 6 * MIB : MIB) + i, 256 * KIB, 100 + i);
                a.seed(content);
                contents.add(content);
            }
            List<java.util.concurrent.CompletableFuture<ContentInfo>> fetches = new java.util.ArrayList<>();
            for (ContentInfo content : contents) {
                fetches.add(b.fetch(content, List.of(a.localAddress()), Duration.ofSeconds(60)));
            }
            for (int i = 0; i < contents.size(); i++) {
                assertThat(fetches.get(i).get(90, TimeUnit.SECONDS)).isEqualTo(contents.get(i));
                assertThat(readAll(storeB, contents.get(i))).isEqualTo(readAll(storeA, contents.get(i)));
            }
            assertThat(b.hashFailures()).isZero();
        }
    }

    @Test
    void aContentNobodyServesDoesNotHoldUpAnotherOne() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            deadPort = socket.getLocalPort();
        }
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            ContentInfo stuck = seal(storeA, 4 * MIB, 256 * KIB, 300);  // A never serves this one
            ContentInfo served = seal(storeA, 4 * MIB, 256 * KIB, 301);
            a.seed(served);
            var waiting = b.fetch(stuck, List.of(new InetSocketAddress(LOOPBACK, deadPort), a.localAddress()),
                    Duration.ofSeconds(20));
            long start = System.nanoTime();
            assertThat(b.fetch(served, List.of(a.localAddress()), Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS))
                    .isEqualTo(served);
            // the stuck one holds the download turn for at most a slice at a time
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(5).toNanos());
            assertThat(waiting).isNotDone();
            assertThat(readAll(storeB, served)).isEqualTo(readAll(storeA, served));
        }
    }

    @Test
    void beyondTheTorrentCapTheLeastRecentlyOfferedIsStoppedAndStartsAgainWhenOffered() throws Exception {
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             BlockStore storeB = BlockStore.open(dir.resolve("b"));
             SwarmRuntime a = BtSwarmRuntime.open((FileBlockStore) storeA, LOOPBACK, 0, remote -> true, 2);
             SwarmRuntime b = SwarmRuntime.open(storeB, LOOPBACK, 0)) {
            List<ContentInfo> contents = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ContentInfo content = seal(storeA, MIB + i, 256 * KIB, 200 + i);
                a.seed(content);
                contents.add(content);
                assertThat(a.torrents()).isLessThanOrEqualTo(2);
            }
            // the first was stopped long ago; offered again, it is served again
            a.seed(contents.get(0));
            assertThat(a.torrents()).isEqualTo(2);
            assertThat(b.fetch(contents.get(0), List.of(a.localAddress()), Duration.ofSeconds(20))
                    .get(30, TimeUnit.SECONDS)).isEqualTo(contents.get(0));
            assertThat(readAll(storeB, contents.get(0))).isEqualTo(readAll(storeA, contents.get(0)));
        }
    }

    @Test
    void connectionsFromAddressesNotAdmittedAreRefused() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.2");
        try (BlockStore storeA = BlockStore.open(dir.resolve("a"));
             SwarmRuntime a = SwarmRuntime.open(storeA, LOOPBACK, 0, remote -> remote.equals(LOOPBACK))) {
            ContentInfo content = seal(storeA, MIB, 256 * KIB, 7);
            a.seed(content);
            assertThat(handshakeAnswered(a.localAddress(), LOOPBACK, content)).isTrue();
            assertThat(handshakeAnswered(a.localAddress(), other, content)).isFalse();
        }
    }

    /** Sends a BitTorrent handshake from {@code source}; true if the peer answered with one. */
    private static boolean handshakeAnswered(InetSocketAddress peer, InetAddress source, ContentInfo content)
            throws IOException {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(peer, 5000);
            socket.setSoTimeout(5000);
            java.io.ByteArrayOutputStream hello = new java.io.ByteArrayOutputStream();
            hello.write(19);
            hello.write("BitTorrent protocol".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            hello.write(new byte[8]);
            hello.write(java.util.HexFormat.of().parseHex(content.id()));
            byte[] peerId = new byte[20];
            new Random(9).nextBytes(peerId);
            hello.write(peerId);
            socket.getOutputStream().write(hello.toByteArray());
            byte[] answer = new byte[68];
            int got = 0;
            try {
                int n;
                while (got < answer.length && (n = socket.getInputStream().read(answer, got, answer.length - got)) > 0) {
                    got += n;
                }
            } catch (java.net.SocketException | java.net.SocketTimeoutException e) {
                return false;
            }
            return got == answer.length && answer[0] == 19;
        }
    }

    private static byte[] readAll(BlockStore store, ContentInfo content) throws IOException {
        try (ContentReader reader = store.open(content.id())) {
            ByteBuffer all = ByteBuffer.allocate((int) content.length());
            while (all.hasRemaining() && reader.read(all, all.position()) > 0) {
                // positional reads until full
            }
            return all.array();
        }
    }

    private static ContentInfo seal(BlockStore store, int length, int pieceLength, long seed) throws IOException {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        try (ContentWriter writer = store.create(pieceLength)) {
            writer.write(ByteBuffer.wrap(bytes), 0);
            return writer.seal();
        }
    }

    private static void corruptByte(Path root, ContentInfo content, long offset) throws IOException {
        Path file = root.resolve("blocks").resolve(content.id().substring(0, 2)).resolve(content.id());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) ~one.get(0)).rewind();
            channel.write(one, offset);
        }
    }

    private static String sha256(BlockStore store, ContentInfo content) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (ContentReader reader = store.open(content.id())) {
            assertThat(reader.size()).isEqualTo(content.length());
            ByteBuffer buffer = ByteBuffer.allocate(MIB);
            long offset = 0;
            int n;
            while ((n = reader.read(buffer.clear(), offset)) > 0) {
                digest.update(buffer.flip());
                offset += n;
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest());
    }

    private static void logSpeed(String route, ContentInfo content, long nanos) {
        LOG.info("{} {} bytes in {} ms: {} MB/s", route, content.length(), nanos / 1_000_000,
                String.format("%.1f", content.length() / 1e6 / (nanos / 1e9)));
    }
}
