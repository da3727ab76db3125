package dev.delugefs.swarm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import bt.data.Storage;
import bt.data.StorageUnit;
import bt.metainfo.Torrent;
import bt.metainfo.TorrentFile;
import bt.net.buffer.ByteBufferView;

/**
 * One content file of {@code blocks/} as bt's storage: read-only when sealed here, read-write with a
 * {@link PieceBitmap} while being fetched. Our torrents hold exactly one file, so the unit is its own
 * {@link Storage}.
 */
final class BlockUnit implements StorageUnit, Storage {
    private final String contentId;
    private final FileChannel channel;
    private final long capacity;
    private final PieceBitmap bitmap;

    private BlockUnit(String contentId, FileChannel channel, long capacity, PieceBitmap bitmap) {
        this.contentId = contentId;
        this.channel = channel;
        this.capacity = capacity;
        this.bitmap = bitmap;
    }

    /** Sealed content: trusted as it is, never written. */
    static BlockUnit sealed(String contentId, Path file, long length) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        if (channel.size() != length) {
            channel.close();
            throw new IOException(file + " holds " + channel.size() + " bytes, its content info says " + length);
        }
        return new BlockUnit(contentId, channel, length, null);
    }

    /**
     * Content being fetched into {@code file}, created sparse at full length if absent. The bitmap is
     * created first: a data file without one would look complete to the block store.
     */
    static BlockUnit partial(String contentId, Path file, long length, int pieceCount) throws IOException {
        PieceBitmap bitmap = PieceBitmap.open(BlockDirectory.bitmapOf(file), pieceCount);
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            if (channel.size() < length) {
                // one byte at the end makes a sparse file of full length, so bt reads zeros, not EOF
                channel.write(ByteBuffer.allocate(1), length - 1);
            }
            return new BlockUnit(contentId, channel, length, bitmap);
        } catch (IOException | RuntimeException e) {
            bitmap.close();
            throw e;
        }
    }

    String contentId() {
        return contentId;
    }

    /** Null for sealed content. */
    PieceBitmap bitmap() {
        return bitmap;
    }

    void force() throws IOException {
        channel.force(true);
    }

    @Override
    public StorageUnit getUnit(Torrent torrent, TorrentFile torrentFile) {
        return this;
    }

    @Override
    public void flush() {
        // writes go straight to the file; durability is forced once, at completion
    }

    @Override
    public int readBlock(ByteBuffer buffer, long offset) {
        checkRange(offset, buffer.remaining());
        try {
            return channel.read(buffer, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + contentId + " at " + offset, e);
        }
    }

    @Override
    public int writeBlock(ByteBuffer buffer, long offset) {
        checkWritable(offset, buffer.remaining());
        try {
            return channel.write(buffer, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + contentId + " at " + offset, e);
        }
    }

    @Override
    public int writeBlock(ByteBufferView buffer, long offset) {
        checkWritable(offset, buffer.remaining());
        try {
            return buffer.transferTo(channel, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + contentId + " at " + offset, e);
        }
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        try (FileChannel ignored = channel) {
            if (bitmap != null) {
                bitmap.close();
            }
        }
    }

    private void checkWritable(long offset, int length) {
        if (bitmap == null) {
            throw new IllegalStateException("sealed content " + contentId + " is read-only");
        }
        checkRange(offset, length);
    }

    private void checkRange(long offset, int length) {
        if (offset < 0 || offset > capacity - length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside " + contentId
                    + " of " + capacity + " bytes");
        }
    }
}
