package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Loops around {@link FileChannel}'s positional calls, which may transfer fewer bytes than asked. */
final class PositionalIo {
    private PositionalIo() {
    }

    /**
     * Reads from {@code offset} until {@code dst} is full or {@code end} is reached. Returns the bytes
     * read, or -1 if {@code offset} is at or after {@code end} and {@code dst} had room.
     */
    static int read(FileChannel channel, ByteBuffer dst, long offset, long end) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset: " + offset);
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (offset >= end) {
            return -1;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + (int) Math.min(dst.remaining(), end - offset));
        try {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, offset + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } finally {
            dst.limit(limit);
        }
    }

    static int write(FileChannel channel, ByteBuffer src, long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset: " + offset);
        }
        int total = 0;
        while (src.hasRemaining()) {
            total += channel.write(src, offset + total);
        }
        return total;
    }
}
