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
