package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads one sealed content through a single open channel, with positional reads so that concurrent
 * readers never serialise on a file position.
 *
 * <p>A Java channel closes itself when a thread reading it is interrupted, which would break the reader
 * for every other thread; the channel is reopened once in that case, since sealed content never changes.
 */
final class FileContentReader implements ContentReader {
    private final Path path;
    private final long size;
    private volatile FileChannel channel;
    private volatile boolean closed;

    private FileContentReader(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
    }

    static FileContentReader open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new FileContentReader(path, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        FileChannel current = channel;
        int position = dst.position();
        try {
            return PositionalIo.read(current, dst, offset, size);
        } catch (ClosedByInterruptException e) {
            throw e;
        } catch (ClosedChannelException e) {
            if (closed) {
                throw e;
            }
            dst.position(position);
            return PositionalIo.read(reopen(current), dst, offset, size);
        }
    }

    private synchronized FileChannel reopen(FileChannel broken) throws IOException {
        if (channel == broken && !closed) {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        }
        return channel;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        channel.close();
    }
}
