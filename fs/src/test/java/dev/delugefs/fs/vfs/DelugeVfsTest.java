package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Change;
import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.Hlc;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.Record;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.delugefs.fs.vfs.OpenFlags.O_CREAT;
import static dev.delugefs.fs.vfs.OpenFlags.O_EXCL;
import static dev.delugefs.fs.vfs.OpenFlags.O_RDONLY;
import static dev.delugefs.fs.vfs.OpenFlags.O_RDWR;
import static dev.delugefs.fs.vfs.OpenFlags.O_TRUNC;
import static dev.delugefs.fs.vfs.OpenFlags.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The filesystem semantics users rely on, exercised on the in-process Vfs without a mount. */
class DelugeVfsTest {
    private static final String NODE = "0123456789abcdef0123456789abcdef";
    private static final int PIECE = 16 * 1024;
    private static final Caller USER = new Caller(1000, 1000);

    @TempDir
    Path root;
    private final List<Change> journal = Collections.synchronizedList(new ArrayList<>());
    private BlockStore blocks;
    private Namespace namespace;
    private DelugeVfs vfs;
    private int syncs;

    @BeforeEach
    void setUp() throws IOException {
        blocks = BlockStore.open(root);
        Record rootDir = Record.builder(Record.Type.DIR).mode(0755).clock(1).writer(NODE).build();
        TreeMap<String, Record> snapshot = new TreeMap<>();
        snapshot.put("/", rootDir);
        namespace = new Namespace(snapshot, journal::addAll, new Hlc(), NODE);
        vfs = new DelugeVfs(namespace, blocks, PIECE, () -> syncs++, StorageSpace.of(root, blocks, 0));
    }

    @AfterEach
    void tearDown() throws IOException {
        vfs.close();
        blocks.close();
    }

    private void writeFile(String path, byte[] data) throws IOException {
        long h = vfs.create(path, 0644, O_CREAT | O_WRONLY | O_TRUNC, USER);
        assertThat(vfs.write(h, ByteBuffer.wrap(data), 0)).isEqualTo(data.length);
        vfs.flush(h);
        vfs.release(h);
    }

    private byte[] readFile(String path) throws IOException {
        long h = vfs.open(path, O_RDONLY);
        try {
            ByteBuffer buf = ByteBuffer.allocate((int) vfs.getattr(path).size() + 10);
            int n = vfs.read(h, buf, 0);
            byte[] out = new byte[n];
            buf.flip().get(out);
            return out;
        } finally {
            vfs.release(h);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static Errno errnoOf(ThrowingCall call) {
        try {
            call.run();
        } catch (FsException e) {
            return e.errno();
        } catch (IOException e) {
            throw new AssertionError("expected an FsException, got " + e, e);
        }
        throw new AssertionError("expected an error, the call succeeded");
    }

    private interface ThrowingCall {
        void run() throws IOException;
    }

    @Test
    void openingAFileHeldElsewhereHintsTheNextRemoteFilesOfItsDirectory() throws IOException {
        vfs.mkdir("/d", 0755, USER);
        vfs.mkdir("/d/sub", 0755, USER);
        Map<String, String> ids = new java.util.HashMap<>();
        for (String name : List.of("f1", "f2", "f3", "f4", "f5", "f6")) {
            writeFile("/d/" + name, ("bytes of " + name).getBytes());
            ids.put(name, namespace.lookup("/d/" + name).record().content().id());
        }
        for (String remote : List.of("f1", "f2", "f3", "f5", "f6")) {
            blocks.delete(ids.get(remote));  // their bytes are on other nodes now
        }
        List<String> hinted = Collections.synchronizedList(new ArrayList<>());
        vfs.connect(new ContentNetwork() {
            @Override
            public ContentReader reader(ContentInfo content) throws IOException {
                throw new java.nio.file.NoSuchFileException(content.id());
            }

            @Override
            public void prefetch(ContentInfo content) {
                hinted.add(content.id());
            }
        });
        vfs.release(vfs.open("/d/f1", O_RDONLY));
        // the next four entries are f2..f5: f4 is here already, and only files are hinted
        assertThat(hinted).containsExactly(ids.get("f2"), ids.get("f3"), ids.get("f5"));

        hinted.clear();
        vfs.release(vfs.open("/d/f4", O_RDONLY));
        assertThat(hinted).as("a local file's siblings are not hinted").isEmpty();
    }

    @Test
    void writtenFileReadsBackAndIsSealedUnderItsInfoHash() throws Exception {
        byte[] data = random(3 * PIECE + 17, 1);
        writeFile("/f", data);

        assertThat(readFile("/f")).isEqualTo(data);
        Stat stat = vfs.getattr("/f");
        assertThat(stat.isRegularFile()).isTrue();
        assertThat(stat.size()).isEqualTo(data.length);
        assertThat(stat.uid()).isEqualTo(1000);
        assertThat(stat.permissions()).isEqualTo(0644);

        Record record = namespace.lookup("/f").record();
        byte[] pieces = new byte[4 * 20];
        for (int i = 0; i < 4; i++) {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(data, i * PIECE, Math.min(PIECE, data.length - i * PIECE));
            System.arraycopy(sha1.digest(), 0, pieces, i * 20, 20);
        }
        assertThat(record.content().pieces()).isEqualTo(pieces);
        assertThat(record.content().id()).isEqualTo(ContentInfo.of(data.length, PIECE, pieces).id());
        assertThat(blocks.has(record.content().id())).isTrue();
    }

    @Test
    void closeJournalsTheSealedRecord() throws IOException {
        writeFile("/f", "hello".getBytes(StandardCharsets.US_ASCII));
        Change last = journal.get(journal.size() - 1);
        assertThat(last.path()).isEqualTo("/f");
        assertThat(last.record().size()).isEqualTo(5);
        assertThat(last.record().content()).isNotNull();
    }

    @Test
    void equalBytesAreStoredOnce() throws IOException {
        byte[] data = random(PIECE * 2, 2);
        writeFile("/a", data);
        writeFile("/b", data);
        assertThat(namespace.lookup("/a").record().content().id())
                .isEqualTo(namespace.lookup("/b").record().content().id());
        assertThat(blocks.storedBytes()).isEqualTo(data.length);
    }

    @Test
    void readersSeeWritesOfAnotherHandleBeforeClose() throws IOException {
        long w = vfs.create("/f", 0644, O_CREAT | O_WRONLY, USER);
        long r = vfs.open("/f", O_RDONLY);
        vfs.write(w, ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), 0);
        ByteBuffer buf = ByteBuffer.allocate(10);
        assertThat(vfs.read(r, buf, 0)).isEqualTo(3);
        assertThat(vfs.getattr("/f").size()).isEqualTo(3);
        vfs.release(w);
        vfs.release(r);
        assertThat(readFile("/f")).containsExactly('a', 'b', 'c');
    }

    @Test
    void overwriteInTheMiddleKeepsTheRest() throws IOException {
        byte[] data = random(PIECE * 3, 3);
        writeFile("/f", data);
        long h = vfs.open("/f", O_RDWR);
        vfs.write(h, ByteBuffer.wrap(new byte[]{1, 2, 3}), PIECE + 5);
        vfs.flush(h);
        vfs.release(h);
        data[PIECE + 5] = 1;
        data[PIECE + 6] = 2;
        data[PIECE + 7] = 3;
        assertThat(readFile("/f")).isEqualTo(data);
    }

    @Test
    void truncateShrinksAndGrowsWithZeros() throws IOException {
        writeFile("/f", random(PIECE + 100, 4));
        vfs.truncate("/f", 10);
        assertThat(vfs.getattr("/f").size()).isEqualTo(10);
        vfs.truncate("/f", 20);
        byte[] back = readFile("/f");
        assertThat(back).hasSize(20);
        assertThat(java.util.Arrays.copyOfRange(back, 10, 20)).containsOnly(0);
        assertThat(namespace.lookup("/f").record().size()).isEqualTo(20);
    }

    @Test
    void openWithTruncEmptiesTheFile() throws IOException {
        writeFile("/f", random(1000, 5));
        long h = vfs.open("/f", O_WRONLY | O_TRUNC);
        assertThat(vfs.fgetattr(h).size()).isZero();
        vfs.flush(h);
        // close(2) returns after flush; release comes later, so the emptied file must be recorded by now
        assertThat(namespace.lookup("/f").record().size()).isZero();
        vfs.release(h);
        assertThat(readFile("/f")).isEmpty();
    }

    @Test
    void unlinkedOpenFileStaysUsableAndLeavesNoRecord() throws IOException {
        long h = vfs.create("/f", 0644, O_CREAT | O_RDWR, USER);
        vfs.write(h, ByteBuffer.wrap(new byte[]{9, 8, 7}), 0);
        vfs.unlink("/f");
        assertThat(errnoOf(() -> vfs.getattr("/f"))).isEqualTo(Errno.ENOENT);
        vfs.flush(h);
        ByteBuffer buf = ByteBuffer.allocate(3);
        assertThat(vfs.read(h, buf, 0)).isEqualTo(3);
        assertThat(buf.array()).containsExactly(9, 8, 7);
        vfs.release(h);
        assertThat(vfs.readdir("/")).isEmpty();
    }

    @Test
    void renameWhileOpenSealsAtTheNewPath() throws IOException {
        long h = vfs.create("/old", 0644, O_CREAT | O_WRONLY, USER);
        vfs.write(h, ByteBuffer.wrap("data".getBytes(StandardCharsets.US_ASCII)), 0);
        vfs.rename("/old", "/new");
        vfs.release(h);
        assertThat(readFile("/new")).containsExactly('d', 'a', 't', 'a');
        assertThat(errnoOf(() -> vfs.getattr("/old"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void renameReplacesFilesAndEmptyDirectoriesOnly() throws IOException {
        writeFile("/a", new byte[]{1});
        writeFile("/b", new byte[]{2});
        vfs.rename("/a", "/b");
        assertThat(readFile("/b")).containsExactly(1);

        vfs.mkdir("/d1", 0755, USER);
        vfs.mkdir("/d2", 0755, USER);
        vfs.rename("/d1", "/d2");
        assertThat(vfs.getattr("/d2").isDirectory()).isTrue();

        vfs.mkdir("/d3", 0755, USER);
        writeFile("/d3/x", new byte[]{3});
        vfs.mkdir("/d4", 0755, USER);
        assertThat(errnoOf(() -> vfs.rename("/d4", "/d3"))).isEqualTo(Errno.ENOTEMPTY);
        assertThat(errnoOf(() -> vfs.rename("/b", "/d4"))).isEqualTo(Errno.EISDIR);
        assertThat(errnoOf(() -> vfs.rename("/d4", "/b"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errnoOf(() -> vfs.rename("/d3", "/d3/sub"))).isEqualTo(Errno.EINVAL);
        assertThat(errnoOf(() -> vfs.rename("/missing", "/z"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void renamedDirectoryKeepsItsSubtreeAndJournalsIt() throws IOException {
        vfs.mkdir("/d", 0755, USER);
        vfs.mkdir("/d/e", 0700, USER);
        writeFile("/d/e/f", new byte[]{42});
        journal.clear();
        vfs.rename("/d", "/moved");

        assertThat(readFile("/moved/e/f")).containsExactly(42);
        assertThat(vfs.getattr("/moved/e").permissions()).isEqualTo(0700);
        assertThat(journal).extracting(Change::path).contains("/d", "/moved", "/moved/e", "/moved/e/f");
        assertThat(journal.stream().filter(c -> c.path().equals("/d")).findFirst().orElseThrow().record().isDeleted())
                .isTrue();
    }

    @Test
    void errnoValuesFollowPosix() throws IOException {
        vfs.mkdir("/d", 0755, USER);
        writeFile("/d/f", new byte[]{1});
        assertThat(errnoOf(() -> vfs.getattr("/nope"))).isEqualTo(Errno.ENOENT);
        assertThat(errnoOf(() -> vfs.mkdir("/d", 0755, USER))).isEqualTo(Errno.EEXIST);
        assertThat(errnoOf(() -> vfs.create("/d/f", 0644, O_CREAT | O_EXCL | O_WRONLY, USER))).isEqualTo(Errno.EEXIST);
        assertThat(errnoOf(() -> vfs.rmdir("/d"))).isEqualTo(Errno.ENOTEMPTY);
        assertThat(errnoOf(() -> vfs.rmdir("/d/f"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errnoOf(() -> vfs.getattr("/d/f/x"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errnoOf(() -> vfs.unlink("/d"))).isEqualTo(Errno.EISDIR);
        assertThat(errnoOf(() -> vfs.open("/d", O_WRONLY))).isEqualTo(Errno.EISDIR);
        assertThat(errnoOf(() -> vfs.mkdir("/" + "n".repeat(256), 0755, USER))).isEqualTo(Errno.ENAMETOOLONG);
        assertThat(errnoOf(() -> vfs.link("/d/f", "/g"))).isEqualTo(Errno.EPERM);
        assertThat(errnoOf(() -> vfs.readlink("/d/f"))).isEqualTo(Errno.EINVAL);
        assertThat(errnoOf(() -> vfs.mknod("/fifo", 0010644, USER))).isEqualTo(Errno.ENOTSUP);
        assertThat(errnoOf(() -> vfs.truncate("/d/f", -1))).isEqualTo(Errno.EINVAL);
        assertThat(errnoOf(() -> vfs.read(12345, ByteBuffer.allocate(1), 0))).isEqualTo(Errno.EBADF);
        long ro = vfs.open("/d/f", O_RDONLY);
        assertThat(errnoOf(() -> vfs.write(ro, ByteBuffer.allocate(1), 0))).isEqualTo(Errno.EBADF);
        vfs.release(ro);
        vfs.mkdir("/d/" + "n".repeat(255), 0755, USER);
    }

    @Test
    void symlinksKeepTheirTarget() throws IOException {
        vfs.symlink("../some/where", "/l", USER);
        assertThat(vfs.readlink("/l")).isEqualTo("../some/where");
        assertThat(vfs.getattr("/l").isSymlink()).isTrue();
        assertThat(errnoOf(() -> vfs.symlink("x", "/l", USER))).isEqualTo(Errno.EEXIST);
    }

    @Test
    void attributesChange() throws IOException {
        writeFile("/f", new byte[]{1});
        vfs.chmod("/f", 0600);
        vfs.chown("/f", 7, -1);
        vfs.setMtime("/f", 981_173_106_000_000_000L);
        Stat stat = vfs.getattr("/f");
        assertThat(stat.permissions()).isEqualTo(0600);
        assertThat(stat.uid()).isEqualTo(7);
        assertThat(stat.gid()).isEqualTo(1000);
        assertThat(stat.mtimeNanos()).isEqualTo(981_173_106_000_000_000L);
    }

    @Test
    void mtimeSetWhileWritingSurvivesTheSeal() throws IOException {
        long h = vfs.create("/f", 0644, O_CREAT | O_WRONLY, USER);
        vfs.write(h, ByteBuffer.wrap(new byte[]{1, 2}), 0);
        vfs.setMtime("/f", 1_000_000_000L);
        vfs.release(h);
        assertThat(vfs.getattr("/f").mtimeNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void sealingDoesNotMoveTheTimesStatShowedWhileWriting() throws Exception {
        writeFile("/f", new byte[]{1});
        Thread.sleep(5);
        long h = vfs.open("/f", O_WRONLY);
        vfs.ftruncate(h, 10);
        Stat whileOpen = vfs.getattr("/f");
        assertThat(whileOpen.ctimeNanos()).isGreaterThanOrEqualTo(whileOpen.mtimeNanos());
        Thread.sleep(5);
        vfs.flush(h);
        vfs.release(h);
        Stat sealed = vfs.getattr("/f");
        assertThat(sealed.mtimeNanos()).isEqualTo(whileOpen.mtimeNanos());
        assertThat(sealed.ctimeNanos()).isEqualTo(whileOpen.ctimeNanos());
        assertThat(sealed.size()).isEqualTo(10);
    }

    @Test
    void xattrsFollowSetxattrFlags() throws IOException {
        writeFile("/f", new byte[]{1});
        byte[] binary = {0, (byte) 0xff, 10};
        vfs.setxattr("/f", "user.a", binary, 0);
        assertThat(vfs.getxattr("/f", "user.a")).isEqualTo(binary);
        assertThat(vfs.listxattr("/f")).containsExactly("user.a");
        assertThat(errnoOf(() -> vfs.setxattr("/f", "user.a", new byte[0], DelugeVfs.XATTR_CREATE))).isEqualTo(Errno.EEXIST);
        assertThat(errnoOf(() -> vfs.setxattr("/f", "user.b", new byte[0], DelugeVfs.XATTR_REPLACE))).isEqualTo(Errno.ENODATA);
        assertThat(errnoOf(() -> vfs.getxattr("/f", "user.b"))).isEqualTo(Errno.ENODATA);
        assertThat(errnoOf(() -> vfs.setxattr("/f", "user.big", new byte[70000], 0))).isEqualTo(Errno.E2BIG);
        vfs.removexattr("/f", "user.a");
        assertThat(vfs.listxattr("/f")).isEmpty();
        assertThat(errnoOf(() -> vfs.removexattr("/f", "user.a"))).isEqualTo(Errno.ENODATA);
    }

    @Test
    void accessFollowsModeBits() throws IOException {
        writeFile("/f", new byte[]{1});
        vfs.chmod("/f", 0640);
        vfs.access("/f", 4 | 2, USER);
        vfs.access("/f", 4, new Caller(2000, 1000));
        assertThat(errnoOf(() -> vfs.access("/f", 2, new Caller(2000, 1000)))).isEqualTo(Errno.EACCES);
        assertThat(errnoOf(() -> vfs.access("/f", 4, new Caller(2000, 2000)))).isEqualTo(Errno.EACCES);
        assertThat(errnoOf(() -> vfs.access("/f", 1, Caller.ROOT))).isEqualTo(Errno.EACCES);
        vfs.access("/f", 6, Caller.ROOT);
    }

    @Test
    void namesThatAreNotUtf8Work() throws IOException {
        String raw = new String(new byte[]{(byte) 0xff, (byte) 0xfe, '\n', '%'}, StandardCharsets.ISO_8859_1);
        writeFile("/" + raw, new byte[]{5});
        assertThat(vfs.readdir("/")).extracting(DirEntry::name).containsExactly(raw);
        assertThat(readFile("/" + raw)).containsExactly(5);
    }

    @Test
    void fsyncSealsAndSyncs() throws IOException {
        long h = vfs.create("/f", 0644, O_CREAT | O_WRONLY, USER);
        vfs.write(h, ByteBuffer.wrap(new byte[]{1, 2, 3}), 0);
        vfs.fsync(h);
        assertThat(namespace.lookup("/f").record().content()).isNotNull();
        assertThat(syncs).isEqualTo(1);
        vfs.write(h, ByteBuffer.wrap(new byte[]{4}), 3);
        vfs.release(h);
        assertThat(readFile("/f")).containsExactly(1, 2, 3, 4);
    }

    @Test
    void manyFilesWrittenInParallelAllReadBack() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        writeFile("/t" + id + "-" + i, random(PIECE + id * 100 + i, id * 1000L + i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        for (int t = 0; t < 8; t++) {
            for (int i = 0; i < 20; i++) {
                assertThat(readFile("/t" + t + "-" + i)).isEqualTo(random(PIECE + t * 100 + i, t * 1000L + i));
            }
        }
        assertThat(vfs.readdir("/")).hasSize(160);
    }

    @Test
    void closeSealsFilesStillOpen() throws IOException {
        long h = vfs.create("/f", 0644, O_CREAT | O_WRONLY, USER);
        vfs.write(h, ByteBuffer.wrap(new byte[]{1, 2}), 0);
        vfs.close();
        assertThat(namespace.lookup("/f").record().size()).isEqualTo(2);
        assertThat(namespace.lookup("/f").record().content()).isNotNull();
    }
}
