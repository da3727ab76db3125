package dev.delugefs.swarm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Sends small content whole over plain TCP to whoever presents a ticket: a member asks for a ticket over
 * the authenticated channel, then fetches the bytes here without the channel's encryption and windowing,
 * which bound a transfer over it to about 95 MB/s on two cores. The bytes are no more exposed than over
 * BitTorrent (unencrypted too), and the receiver checks them against the piece hashes of the record.
 *
 * <p>Protocol: the client sends a ticket (32 hex digits) and a newline; the server answers
 * {@code OK <length>\n} and the bytes, or {@code ERR <reason>\n}, and closes. A ticket names one content
 * (or a range of it: the pieces a damaged copy elsewhere lacks),
 * is good for one connection and expires after {@link #TICKET_TTL}. Connections from addresses that are
 * not members are closed unanswered.
 */
public final class ContentStreamServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ContentStreamServer.class);
    static final Duration TICKET_TTL = Duration.ofSeconds(30);
    private static final int TICKET_BYTES = 16;
    private static final int IO_TIMEOUT_MILLIS = 10_000;
    private static final int SENDERS = 4;

    /** What a ticket is good for: {@code length} bytes from {@code offset}, or the whole content if -1. */
    private record Ticket(String contentId, long offset, long length, long expiresAtNanos) {
    }

    private final BlockStore blocks;
    private final Predicate<InetAddress> admits;
    private final ServerSocketChannel server;
    private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final ThreadPoolExecutor senders;
    private final Thread acceptor;

    private ContentStreamServer(BlockStore blocks, Predicate<InetAddress> admits, ServerSocketChannel server) {
        this.blocks = blocks;
        this.admits = admits;
        this.server = server;
        this.senders = new ThreadPoolExecutor(SENDERS, SENDERS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64),
                r -> daemon(r, "content-stream"));
        this.acceptor = daemon(this::acceptLoop, "content-stream-accept");
    }

    /** Listens on {@code address}, on a free port. */
    public static ContentStreamServer start(BlockStore blocks, InetAddress address, Predicate<InetAddress> admits)
            throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.bind(new InetSocketAddress(address, 0));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        ContentStreamServer server = new ContentStreamServer(blocks, admits, channel);
        server.acceptor.start();
        return server;
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    /** A ticket for one fetch of {@code contentId}, whole. */
    public String ticket(String contentId) {
        return ticket(contentId, 0, -1);
    }

    /** A ticket for one fetch of {@code length} bytes of {@code contentId} from {@code offset}. */
    public String ticket(String contentId, long offset, long length) {
        if (offset < 0 || length < -1) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        long now = System.nanoTime();
        tickets.values().removeIf(t -> t.expiresAtNanos - now < 0);
        byte[] bytes = new byte[TICKET_BYTES];
        random.nextBytes(bytes);
        String ticket = HexFormat.of().formatHex(bytes);
        tickets.put(ticket, new Ticket(contentId, offset, length, now + TICKET_TTL.toNanos()));
        return ticket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("content stream: accept failed: {}", e.toString());
                continue;
            }
            InetAddress remote = connection.socket().getInetAddress();
            if (!admits.test(remote)) {
                LOG.warn("refused a content stream connection from {}: not a member of the volume",
                        remote.getHostAddress());
                closeQuietly(connection);
                continue;
            }
            try {
                senders.execute(() -> serve(connection));
            } catch (RejectedExecutionException e) {
                closeQuietly(connection);  // the client falls back to the channel
            }
        }
    }

    private void serve(SocketChannel connection) {
        try (connection) {
            Socket socket = connection.socket();
            socket.setSoTimeout(IO_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            String presented = readLine(socket.getInputStream(), TICKET_BYTES * 2);
            Ticket ticket = presented == null ? null : tickets.remove(presented);
            if (ticket == null || ticket.expiresAtNanos - System.nanoTime() < 0) {
                reply(connection, "ERR unknown or expired ticket\n");
                return;
            }
            try (ContentReader reader = blocks.open(ticket.contentId)) {
                long end = ticket.length < 0 ? reader.size() : ticket.offset + ticket.length;
                if (end > reader.size()) {
                    reply(connection, "ERR " + ticket.contentId + " has only " + reader.size() + " bytes\n");
                    return;
                }
                reply(connection, "OK " + (end - ticket.offset) + "\n");
                ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
                long offset = ticket.offset;
                int n;
                while (offset < end && (n = reader.read(buffer.clear().limit((int) Math.min(buffer.capacity(),
                        end - offset)), offset)) > 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        connection.write(buffer);
                    }
                    offset += n;
                }
            } catch (java.nio.file.NoSuchFileException e) {
                reply(connection, "ERR " + ticket.contentId + " is not stored here\n");
            }
        } catch (IOException e) {
            LOG.debug("content stream: {}", e.toString());
        }
    }

    /** A line of at most {@code max} bytes before its newline; null if the client sent no such line. */
    static String readLine(InputStream in, int max) throws IOException {
        StringBuilder line = new StringBuilder();
        while (line.length() <= max) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if (b == '\n') {
                return line.toString();
            }
            line.append((char) b);
        }
        return null;
    }

    private static void reply(SocketChannel connection, String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            connection.write(bytes);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing was sent
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        senders.shutdownNow();
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
