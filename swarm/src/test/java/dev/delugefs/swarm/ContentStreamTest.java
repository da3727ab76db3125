package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Small content whole over plain TCP, for a ticket: once, to members only, the bytes as stored. */
class ContentStreamTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir Path root;

    @Test
    void aTicketFetchesTheStoredBytesOnce() throws Exception {
        try (BlockStore store = BlockStore.open(root);
             ContentStreamServer server = ContentStreamServer.start(store, LOOPBACK, a -> true)) {
            byte[] bytes = Reference.randomBytes(3, 3 * 1024 * 1024 + 17);
            ContentInfo info = seal(store, bytes);
            InetSocketAddress at = new InetSocketAddress(LOOPBACK, server.port());
            String ticket = server.ticket(info.id());

            assertThat(ContentStreamClient.fetch(at, ticket, bytes.length, TIMEOUT)).isEqualTo(bytes);
            assertThatThrownBy(() -> ContentStreamClient.fetch(at, ticket, bytes.length, TIMEOUT))
                    .as("a ticket is good for one fetch").hasMessageContaining("unknown or expired ticket");
            assertThatThrownBy(() -> ContentStreamClient.fetch(at, "0".repeat(32), bytes.length, TIMEOUT))
                    .hasMessageContaining("unknown or expired ticket");
            assertThatThrownBy(() -> ContentStreamClient.fetch(at, server.ticket(info.id()), bytes.length + 1, TIMEOUT))
                    .as("another length than the record's").hasMessageContaining("not " + (bytes.length + 1));
            int from = 1024 * 1024 + 3;
            assertThat(ContentStreamClient.fetch(at, server.ticket(info.id(), from, 300_000), 300_000, TIMEOUT))
                    .as("a range").isEqualTo(java.util.Arrays.copyOfRange(bytes, from, from + 300_000));
            assertThatThrownBy(() -> ContentStreamClient.fetch(at, server.ticket(info.id(), bytes.length - 10, 11), 11,
                    TIMEOUT)).as("a range past the end").hasMessageContaining("has only " + bytes.length + " bytes");
        }
    }

    @Test
    void contentCollectedAfterItsTicketIsRefusedAndNonMembersGetNothing() throws Exception {
        try (BlockStore store = BlockStore.open(root);
             ContentStreamServer server = ContentStreamServer.start(store, LOOPBACK, a -> false)) {
            ContentInfo info = seal(store, Reference.randomBytes(4, 1000));
            InetSocketAddress at = new InetSocketAddress(LOOPBACK, server.port());
            assertThatThrownBy(() -> ContentStreamClient.fetch(at, server.ticket(info.id()), 1000, TIMEOUT))
                    .isInstanceOf(IOException.class);
        }
        try (BlockStore store = BlockStore.open(root);
             ContentStreamServer server = ContentStreamServer.start(store, LOOPBACK, a -> true)) {
            ContentInfo info = seal(store, Reference.randomBytes(5, 1000));
            String ticket = server.ticket(info.id());
            store.delete(info.id());
            assertThatThrownBy(() -> ContentStreamClient.fetch(new InetSocketAddress(LOOPBACK, server.port()), ticket,
                    1000, TIMEOUT)).hasMessageContaining("is not stored here");
        }
    }

    private static ContentInfo seal(BlockStore store, byte[] bytes) throws IOException {
        ContentWriter writer = store.create(BlockStore.MIN_PIECE_LENGTH);
        write(writer, 0, bytes);
        return writer.seal();
    }
}
