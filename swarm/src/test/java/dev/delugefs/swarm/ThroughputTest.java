package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Measures (and only logs) what piece hashing costs a writer over a plain write of the same bytes. */
class ThroughputTest {
    private static final Logger LOG = LoggerFactory.getLogger(ThroughputTest.class);
    private static final int MIB = 1 << 20;
    private static final int TOTAL = 256 * MIB;
    private static final int BUFFER = 128 * 1024;  // what libfuse 2 sends per write

    @TempDir Path root;

    @Test
    void sequentialWriteOf256MiB() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
        byte[] random = new byte[BUFFER];
        new Random(1).nextBytes(random);
        buffer.put(random).flip();

        long plainNanos;
        try (FileChannel plain = FileChannel.open(root.resolve("plain"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            long start = System.nanoTime();
            for (long off = 0; off < TOTAL; off += BUFFER) {
                plain.write(buffer.duplicate(), off);
            }
            plainNanos = System.nanoTime() - start;
        }

        try (BlockStore store = BlockStore.open(root.resolve("store"))) {
            try (ContentWriter warmUp = store.create(MIB)) {  // lets the JIT compile SHA-1 and the write path
                for (long off = 0; off < TOTAL / 4; off += BUFFER) {
                    warmUp.write(buffer.duplicate(), off);
                }
            }
            TempContentWriter writer = (TempContentWriter) store.create(MIB);
            long start = System.nanoTime();
            for (long off = 0; off < TOTAL; off += BUFFER) {
                writer.write(buffer.duplicate(), off);
            }
            long writeNanos = System.nanoTime() - start;
            ContentInfo info = writer.seal();
            long sealNanos = System.nanoTime() - start - writeNanos;

            assertThat(info.length()).isEqualTo(TOTAL);
            assertThat(writer.bytesReadBack()).isZero();
            LOG.info("256 MiB in 128 KiB writes, 1 MiB pieces: plain write {} MB/s; write+hash {} MB/s; "
                            + "seal {} ms (caught up {} MiB the background had not hashed, no read-back); "
                            + "write+seal {} MB/s; hashing alone {} MB/s",
                    mbPerSecond(plainNanos), mbPerSecond(writeNanos), sealNanos / 1_000_000,
                    writer.bytesCaughtUpAtSeal() / MIB, mbPerSecond(writeNanos + sealNanos),
                    mbPerSecond(hashOnlyNanos(buffer)));
        }
    }

    /** The in-order hashing path without file I/O (the bytes are "read back" from memory): its CPU cost. */
    private static long hashOnlyNanos(ByteBuffer buffer) throws IOException {
        PieceHasher hasher = new PieceHasher(MIB, (dst, offset) -> {
            ByteBuffer from = buffer.duplicate().position((int) (offset % BUFFER));
            int n = Math.min(dst.remaining(), from.remaining());
            dst.put(from.limit(from.position() + n));
            return n;
        });
        long start = System.nanoTime();
        for (long off = 0; off < TOTAL; off += BUFFER) {
            hasher.mayHaveChanged(off, off + BUFFER);
            for (PieceHasher.Chunk chunk; (chunk = hasher.nextChunk(off + BUFFER)) != null; ) {
                chunk.hash();
                hasher.done(chunk);
            }
        }
        hasher.finish(TOTAL);
        return System.nanoTime() - start;
    }

    private static long mbPerSecond(long nanos) {
        return Math.round(TOTAL / 1e6 / (nanos / 1e9));
    }
}
