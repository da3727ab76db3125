package dev.delugefs.swarm;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The node's one BitTorrent runtime: it serves content of a {@link BlockStore} and fetches content into
 * it. Peers are only those callers name; there are no trackers, DHT, PEX or local discovery.
 *
 * <p>One torrent downloads at a time, and the turn rotates among those that want pieces every half
 * second or sooner: bt keeps received blocks in a runtime-wide registry keyed by piece index and offset
 * only, so two torrents downloading at once in one runtime take each other's blocks and fail their
 * hashes (DESIGN §10). Reads of several files therefore share the download, none waits for a whole
 * other file.
 */
public interface SwarmRuntime extends Closeable {

    /**
     * Starts a runtime over {@code store} that listens on {@code address}:{@code port}; port 0 takes a
     * free one, see {@link #localAddress()}.
     *
     * @throws java.net.BindException if the port is taken
     */
    static SwarmRuntime open(BlockStore store, InetAddress address, int port) throws IOException {
        return open(store, address, port, remote -> true);
    }

    /**
     * As {@link #open(BlockStore, InetAddress, int)}, refusing incoming connections from addresses
     * {@code admitted} rejects (asked once per connection, on bt's selector thread: keep it cheap).
     */
    static SwarmRuntime open(BlockStore store, InetAddress address, int port, Predicate<InetAddress> admitted)
            throws IOException {
        return BtSwarmRuntime.open((FileBlockStore) store, address, port, admitted);
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

    /**
     * Fetches the pieces covering {@code length} bytes from {@code offset} before any other piece of the
     * content, and the pieces of the next {@code readAhead} bytes after them. The result completes once
     * the covered pieces are verified in the store (see {@link #openFetched}), or fails with
     * {@link java.util.concurrent.TimeoutException} after {@code timeout}; when no read waits any more,
     * the read-ahead stops too.
     */
    CompletableFuture<Void> fetchRange(ContentInfo content, long offset, long length, long readAhead,
                                       List<InetSocketAddress> peers, Duration timeout);

    /**
     * Reads the local copy of content that is stored complete or being fetched; only the ranges a
     * {@link #fetchRange} completed for hold the content's bytes.
     *
     * @throws java.nio.file.NoSuchFileException if the content is neither stored nor being fetched here
     */
    ContentReader openFetched(ContentInfo content) throws IOException;

    /** Whether the pieces covering {@code length} bytes from {@code offset} are verified here. */
    boolean hasRange(ContentInfo content, long offset, long length);

    /**
     * Stops serving content that is stored complete (it was deleted, or is about to be), closing the file
     * the torrent holds open. Content being fetched is left alone: bt 1.10 cannot start a torrent again
     * that was stopped incomplete (bt #146).
     *
     * @return whether the runtime holds no file of the content any more; false while it is being fetched
     */
    boolean drop(String contentId);

    /**
     * Whether this runtime can fetch the content by BitTorrent. Not if it stopped the content's torrent
     * before (trimmed, collected, found damaged): bt 1.10 fetches a torrent started again in the same
     * runtime only after a stall of about 30 s, or never (a copy found damaged stayed at its intact
     * pieces); the cause lies in its per-connection state, and the node fetches such content by other means.
     */
    boolean canFetch(String contentId);

    /** Content being fetched and not yet complete. */
    List<Transfer> transfers();

    /** Torrents this runtime serves or fetches. */
    int torrents();

    /** One content being fetched: how far it is, whether it downloads now, and how many reads wait on it. */
    record Transfer(String contentId, long length, int piecesVerified, int pieceCount, boolean downloading,
                    int waitingReads) {
    }

    /** Pieces received from peers whose SHA-1 did not match, since this runtime started. */
    long hashFailures();

    /** Stops serving and fetching; fetches still running fail. */
    @Override
    void close() throws IOException;
}
