package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockStoreTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;

    @TempDir Path root;

    @Test
    void storedListsCompleteContentAndDeleteRemovesIt() throws Exception {
        try (BlockStore store = BlockStore.open(root)) {
            ContentWriter writer = store.create(PIECE);
            write(writer, 0, Reference.randomBytes(8, 100));
            ContentInfo info = writer.seal();
            java.time.Instant sealedAt = store.stored().get(info.id());
            assertThat(store.stored()).containsOnlyKeys(info.id());

            // sealing equal bytes again marks the stored copy as needed now
            Thread.sleep(20);
            ContentWriter again = store.create(PIECE);
            write(again, 0, Reference.randomBytes(8, 100));
            assertThat(again.seal().id()).isEqualTo(info.id());
            assertThat(store.stored().get(info.id())).isAfter(sealedAt);

            assertThat(store.delete(info.id())).isTrue();
            assertThat(store.has(info.id())).isFalse();
            assertThat(store.stored()).isEmpty();
            assertThat(store.delete(info.id())).isFalse();
        }
    }

    @Test
    void forceFlushesStoredContentAndRefusesUnknownContent() throws IOException {
        try (BlockStore store = BlockStore.open(root)) {
            ContentWriter writer = store.create(PIECE);
            write(writer, 0, Reference.randomBytes(7, PIECE + 1));
            ContentInfo info = writer.seal(false);
            store.force(info.id());
            assertThat(store.has(info.id())).isTrue();
            assertThatThrownBy(() -> store.force("00".repeat(20)))
                    .isInstanceOf(java.nio.file.NoSuchFileException.class);
        }
    }

    @Test
    void reopeningDiscardsUnsealedFilesAndKeepsSealedContent() throws IOException {
        byte[] data = Reference.randomBytes(1, 2 * PIECE + 3);
        ContentInfo info;
        try (BlockStore store = BlockStore.open(root)) {
            ContentWriter sealed = store.create(PIECE);
            write(sealed, 0, data);
            info = sealed.seal();
            write(store.create(PIECE), 0, new byte[] {1, 2, 3});  // still open at the "crash"
        }
        Files.writeString(root.resolve("tmp/stray"), "left by a crash");
        Files.createDirectories(root.resolve("tmp/dir/inner"));

        try (BlockStore store = BlockStore.open(root)) {
            try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
                assertThat(temps).isEmpty();
            }
            assertThat(store.has(info.id())).isTrue();
            assertThat(store.storedBytes()).isEqualTo(data.length);
            try (ContentReader reader = store.open(info.id())) {
                ByteBuffer all = ByteBuffer.allocate(data.length);
                assertThat(reader.read(all, 0)).isEqualTo(data.length);
                assertThat(all.array()).isEqualTo(data);
            }
        }
    }

    @Test
    void openCreatesTheLayout() throws IOException {
        try (BlockStore store = BlockStore.open(root.resolve("new"))) {
            assertThat(root.resolve("new/blocks")).isDirectory();
            assertThat(root.resolve("new/tmp")).isDirectory();
            assertThat(store.storedBytes()).isZero();
        }
    }

    @Test
    void absentContentIsReportedAsNoSuchFile() throws IOException {
        String absent = "0123456789abcdef0123456789abcdef01234567";
        try (BlockStore store = BlockStore.open(root)) {
            assertThat(store.has(absent)).isFalse();
            assertThatThrownBy(() -> store.open(absent)).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> store.open("../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void contentBeingFetchedIsNotComplete() throws IOException {
        byte[] data = Reference.randomBytes(2, PIECE + 1);
        ContentInfo info = Reference.info(data, PIECE);
        Path file = root.resolve("blocks").resolve(info.id().substring(0, 2)).resolve(info.id());
        try (BlockStore store = BlockStore.open(root)) {
            Files.createDirectories(file.getParent());
            Files.write(file, new byte[data.length]);
            Files.write(file.resolveSibling(info.id() + ".bitmap"), new byte[1]);
            assertThat(store.has(info.id())).isFalse();
            assertThatThrownBy(() -> store.open(info.id())).isInstanceOf(NoSuchFileException.class);

            ContentWriter writer = store.create(PIECE);
            write(writer, 0, data);
            assertThat(writer.seal()).isEqualTo(info);

            assertThat(store.has(info.id())).isTrue();
            assertThat(Files.readAllBytes(file)).isEqualTo(data);
            assertThat(file.resolveSibling(info.id() + ".bitmap")).doesNotExist();
        }
    }

    @Test
    void pieceLengthsMustSuitBitTorrent() throws IOException {
        try (BlockStore store = BlockStore.open(root)) {
            for (int bad : new int[] {0, -1, PIECE / 2, PIECE + 1, 3 * PIECE, BlockStore.MAX_PIECE_LENGTH * 2}) {
                assertThatThrownBy(() -> store.create(bad)).as("%d", bad).isInstanceOf(IllegalArgumentException.class);
            }
            store.create(BlockStore.MAX_PIECE_LENGTH).close();
        }
    }

    @Test
    void closingTheStoreAbortsOpenWriters() throws IOException {
        BlockStore store = BlockStore.open(root);
        ContentWriter writer = store.create(PIECE);
        write(writer, 0, new byte[] {1});
        store.close();

        assertThatThrownBy(writer::seal).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.create(PIECE)).isInstanceOf(IllegalStateException.class);
        try (Stream<Path> temps = Files.list(root.resolve("tmp"))) {
            assertThat(temps).isEmpty();
        }
    }
}
