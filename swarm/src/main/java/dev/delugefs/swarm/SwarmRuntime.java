package dev.delugefs.swarm;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The node's one BitTorrent runtime: it serves content of a {@link BlockStore} and fetches content into
 * it. Peers are only those callers name; there are no trackers, DHT, PEX or local discovery.
 *
 * <p>One fetch downloads at a time; later ones wait their turn (their timeout runs while they wait).
 * bt keeps received blocks in a runtime-wide registry keyed by piece index and offset only, so two
 * torrents downloading at once in one runtime take each other's blocks and fail their hashes
 * (DESIGN §10).
 */
public interface SwarmRuntime extends Closeable {

    /**
     * Starts a runtime over {@code store} that listens on {@code address}:{@code port}; port 0 takes a
     * free one, see {@link #localAddress()}.
     *
     * @throws java.net.BindException if the port is taken
     */
    static SwarmRuntime open(BlockStore store, InetAddress address, int port) throws IOException {
        return BtSwarmRuntime.open((FileBlockStore) store, address, port);
    }

    /** Where peers reach this runtime, with the port actually bound. */
    InetSocketAddress localAddress();

    /**
     * Serves content stored complete here, starting without re-hashing it. Idempotent.
     *
     * @throws java.nio.file.NoSuchFileException if the content is not stored complete here
     */
    void seed(ContentInfo content) throws IOException;

    /**
     * Fetches content from {@code peers} (added to any given before) into the block store, then keeps
     * serving it. The result completes once the content is complete and verified in the store, at once if
     * it already is, or fails with {@link java.util.concurrent.TimeoutException} after {@code timeout}.
     * Pieces verified by then stay, with their bitmap; a later fetch resumes from them.
     */
    CompletableFuture<ContentInfo> fetch(ContentInfo content, List<InetSocketAddress> peers, Duration timeout);

    /** Pieces received from peers whose SHA-1 did not match, since this runtime started. */
    long hashFailures();

    /** Stops serving and fetching; fetches still running fail. */
    @Override
    void close() throws IOException;
}
