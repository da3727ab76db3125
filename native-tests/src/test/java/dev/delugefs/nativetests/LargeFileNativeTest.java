package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A file past 4 GiB, where any 32-bit offset or size in the path from FUSE to the block store
 * would wrap. Every 8-byte word holds its own offset, so a misplaced block shows where it went.
 */
@Tag("slow")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LargeFileNativeTest extends MountedTest {
    /** Overridable only to try the test itself quickly against something slow. */
    private static final long SIZE = Long.getLong("delugefs.test.largeBytes", 5L << 30);
    private static final int BUF = 1 << 20;

    @Test
    void fiveGibFileIsStoredAndReadBackWordForWord() throws IOException {
        Path f = mnt.resolve("big.bin");
        ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
        LongBuffer words = buf.asLongBuffer();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < SIZE; pos += BUF) {
                for (int i = 0; i < BUF / 8; i++) {
                    words.put(i, pos + 8L * i);
                }
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        assertThat(FileOpsNativeTest.stat("%s", f)).isEqualTo(String.valueOf(SIZE));

        // sealing 5 GiB and a restart may take longer than a small volume's start
        node.readyTimeout(Duration.ofSeconds(90));
        node.restart();
        assertThat(FileOpsNativeTest.stat("%s", f)).isEqualTo(String.valueOf(SIZE));

        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            // around the 4 GiB boundary first: the likeliest place to break, and cheap to report
            for (long at : new long[] {(4L << 30) - 8, 4L << 30, (4L << 30) + BUF - 8, SIZE - 8}) {
                if (at >= SIZE) {
                    continue;
                }
                ByteBuffer one = ByteBuffer.allocate(8);
                while (one.hasRemaining() && ch.read(one, at + one.position()) > 0) {
                    // keep reading until the word is complete
                }
                assertThat(one.flip().getLong()).as("word at offset " + at).isEqualTo(at);
            }
            for (long pos = 0; pos < SIZE; pos += BUF) {
                buf.clear();
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, pos + buf.position());
                    if (n < 0) {
                        throw new AssertionError("EOF at " + (pos + buf.position()) + ", expected " + SIZE);
                    }
                }
                for (int i = 0; i < BUF / 8; i++) {
                    long want = pos + 8L * i;
                    long got = words.get(i);
                    if (got != want) {
                        throw new AssertionError("word at offset " + want + " holds " + got);
                    }
                }
            }
            assertThat(ch.read(ByteBuffer.allocate(1), SIZE)).as("read at EOF").isEqualTo(-1);
        }
    }
}
