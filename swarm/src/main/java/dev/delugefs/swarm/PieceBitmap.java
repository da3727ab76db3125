package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * The {@code <id>.bitmap} beside partly fetched content: one bit per verified piece, in BitTorrent's
 * bitfield order (piece 0 is the high bit of byte 0), so it could be sent to a peer as it is.
 *
 * <p>A set bit only says the piece was verified once; data is not forced per piece, so after a crash of
 * the machine a bit may outlive its data, and a restart re-hashes the pieces the bitmap claims.
 */
final class PieceBitmap implements AutoCloseable {
    private final FileChannel channel;
    private final int pieceCount;
    private final BitSet verified;

    private PieceBitmap(FileChannel channel, int pieceCount, BitSet verified) {
        this.channel = channel;
        this.pieceCount = pieceCount;
        this.verified = verified;
    }

    /** Opens the bitmap at {@code path}, creating an empty one if there is none. */
    static PieceBitmap open(Path path, int pieceCount) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ByteBuffer bytes = ByteBuffer.allocate((pieceCount + 7) / 8);
            while (bytes.hasRemaining() && channel.read(bytes, bytes.position()) >= 0) {
                // a short file reads as the pieces it names
            }
            BitSet verified = new BitSet(pieceCount);
            for (int piece = 0; piece < pieceCount; piece++) {
                if ((bytes.get(piece / 8) & mask(piece)) != 0) {
                    verified.set(piece);
                }
            }
            return new PieceBitmap(channel, pieceCount, verified);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    synchronized void set(int piece) throws IOException {
        write(piece, true);
    }

    synchronized void clear(int piece) throws IOException {
        write(piece, false);
    }

    synchronized BitSet verified() {
        return (BitSet) verified.clone();
    }

    synchronized boolean isComplete() {
        return verified.cardinality() == pieceCount;
    }

    synchronized int verifiedCount() {
        return verified.cardinality();
    }

    int pieceCount() {
        return pieceCount;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    private void write(int piece, boolean value) throws IOException {
        if (verified.get(piece) == value) {
            return;
        }
        verified.set(piece, value);
        int index = piece / 8;
        byte b = 0;
        for (int p = index * 8; p < Math.min(pieceCount, index * 8 + 8); p++) {
            if (verified.get(p)) {
                b |= mask(p);
            }
        }
        channel.write(ByteBuffer.wrap(new byte[] {b}), index);
    }

    private static int mask(int piece) {
        return 0x80 >>> (piece % 8);
    }
}
