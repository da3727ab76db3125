package dev.delugefs.swarm;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Fetches small content from a {@link ContentStreamServer} with a ticket the holder issued. */
public final class ContentStreamClient {
    private ContentStreamClient() {
    }

    /**
     * The content's bytes, which the caller still has to check against its piece hashes.
     *
     * @throws IOException if the server refuses the ticket, sends another length, or is not reached or
     *                     silent for {@code timeout}
     */
    public static byte[] fetch(InetSocketAddress server, String ticket, long length, Duration timeout)
            throws IOException {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too large to fetch whole: " + length);
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.connect(server, millis);
            socket.setSoTimeout(millis);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            out.write((ticket + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            String header = ContentStreamServer.readLine(in, 256);
            if (header == null) {
                throw new IOException("content stream " + server + " closed without an answer");
            }
            if (!header.startsWith("OK ")) {
                throw new IOException("content stream " + server + " refused: " + header);
            }
            long announced;
            try {
                announced = Long.parseLong(header.substring(3).strip());
            } catch (NumberFormatException e) {
                throw new IOException("content stream " + server + " sent a bad header: " + header);
            }
            if (announced != length) {
                throw new IOException("content stream " + server + " sends " + announced + " bytes, not " + length);
            }
            byte[] bytes = new byte[(int) length];
            in.readFully(bytes);
            return bytes;
        }
    }
}
