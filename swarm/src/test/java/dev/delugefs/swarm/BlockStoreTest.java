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

    @Test
    void aDamagedCopyIsFoundReopenedAndMadeWholeAgainPieceByPiece() throws Exception {
        try (BlockStore store = BlockStore.open(root)) {
            byte[] bytes = Reference.randomBytes(21, 4 * PIECE + 10);
            ContentWriter writer = store.create(PIECE);
            write(writer, 0, bytes);
            ContentInfo info = writer.seal();
            assertThat(store.damagedPieces(info).isEmpty()).as("a fresh copy is intact").isTrue();
            Path file = root.resolve("blocks").resolve(info.id().substring(0, 2)).resolve(info.id());
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(new byte[] {(byte) ~bytes[PIECE + 1]}), PIECE + 1);
                channel.write(ByteBuffer.wrap(new byte[] {(byte) ~bytes[4 * PIECE + 3]}), 4 * PIECE + 3);
            }
            java.util.BitSet damaged = store.damagedPieces(info);
            assertThat(damaged.stream().boxed().toList()).containsExactly(1, 4);

            store.reopenDamaged(info, damaged);
            assertThat(store.has(info.id())).isFalse();
            assertThat(store.stored()).doesNotContainKey(info.id());
            assertThat(store.partial()).containsKey(info.id());
            assertThat(store.verifiedPieces(info).stream().boxed().toList()).containsExactly(0, 2, 3);
            try (ContentReader reader = store.openPartial(info.id())) {
                ByteBuffer piece2 = ByteBuffer.allocate(PIECE);
                reader.read(piece2, 2L * PIECE);
                assertThat(piece2.array()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 2 * PIECE, 3 * PIECE));
            }

            byte[] piece1 = java.util.Arrays.copyOfRange(bytes, PIECE, 2 * PIECE);
            byte[] piece4 = java.util.Arrays.copyOfRange(bytes, 4 * PIECE, bytes.length);
            assertThat(store.writePiece(info, 1, piece4.length == PIECE ? piece4 : new byte[PIECE]))
                    .as("bytes that do not hash to the piece").isFalse();
            assertThat(store.writePiece(info, 1, piece1)).isTrue();
            assertThat(store.has(info.id())).as("one piece still missing").isFalse();
            assertThat(store.writePiece(info, 4, piece4)).isTrue();
            assertThat(store.has(info.id())).isTrue();
            assertThat(store.damagedPieces(info).isEmpty()).as("the repaired copy is intact").isTrue();
            assertThat(Files.exists(file.resolveSibling(info.id() + ".bitmap"))).isFalse();
            assertThat(Files.getPosixFilePermissions(file)).as("complete content is read-only again")
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.GROUP_READ,
                            java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        }
    }
}
