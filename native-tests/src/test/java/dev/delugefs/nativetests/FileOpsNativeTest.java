package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Everyday file operations with coreutils and attr on a real mount. */
class FileOpsNativeTest extends MountedTest {

    @Test
    void copiedTreeReadsBackByteIdenticalAlsoAfterRestart() {
        Path src = sandbox.newDir("src");
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put("empty", 0);
        sizes.put("one", 1);
        sizes.put("page-1", 4095);
        sizes.put("page", 4096);
        sizes.put("page+1", 4097);
        sizes.put("a/mib-1", Data.MIB - 1);
        sizes.put("a/mib", Data.MIB);
        sizes.put("a/b/mib+1", Data.MIB + 1);
        sizes.put("a/b/c/five-mib", 5 * Data.MIB);
        long seed = 1;
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            Data.write(src.resolve(e.getKey()), Data.random(seed++, e.getValue()));
        }
        Cmd.of("mkdir", "-p", src.resolve("empty-dir/nested-empty").toString()).ok();

        Cmd.of("cp", "-r", src.toString(), mnt.resolve("dst").toString()).ok();

        String expected = checksums(src);
        assertThat(checksums(mnt.resolve("dst"))).isEqualTo(expected);
        assertThat(mnt.resolve("dst/empty-dir/nested-empty")).isDirectory();
        assertThat(Cmd.of("stat", "-c", "%s", mnt.resolve("dst/a/b/c/five-mib").toString()).ok().out().strip())
                .isEqualTo(String.valueOf(5 * Data.MIB));

        // a restart empties every cache, so this reads what the node stored
        node.restart();
        assertThat(checksums(mnt.resolve("dst"))).isEqualTo(expected);
        assertThat(mnt.resolve("dst/empty-dir/nested-empty")).isDirectory();
    }

    @Test
    void mvWithinAcrossAndOverExistingFiles() throws Exception {
        Files.createDirectories(mnt.resolve("d1"));
        Files.createDirectories(mnt.resolve("d2"));
        Data.write(mnt.resolve("d1/a"), "alpha".getBytes());
        Data.write(mnt.resolve("d1/x"), "xray".getBytes());
        Data.write(mnt.resolve("d1/big"), Data.random(7, 3 * Data.MIB + 17));
        Data.write(mnt.resolve("d2/victim"), "to be replaced".getBytes());

        Cmd.of("mv", mnt.resolve("d1/a").toString(), mnt.resolve("d1/b").toString()).ok();
        Cmd.of("mv", mnt.resolve("d1/x").toString(), mnt.resolve("d2/x").toString()).ok();
        Cmd.of("mv", mnt.resolve("d1/big").toString(), mnt.resolve("d2/victim").toString()).ok();

        assertThat(mnt.resolve("d1/a")).doesNotExist();
        assertThat(mnt.resolve("d1/b")).hasBinaryContent("alpha".getBytes());
        assertThat(mnt.resolve("d1/x")).doesNotExist();
        assertThat(mnt.resolve("d2/x")).hasBinaryContent("xray".getBytes());
        assertThat(mnt.resolve("d1/big")).doesNotExist();
        assertThat(Data.sha256(mnt.resolve("d2/victim"))).isEqualTo(Data.sha256(Data.random(7, 3 * Data.MIB + 17)));
        assertThat(ls(mnt.resolve("d1"))).isEqualTo("b");
        assertThat(ls(mnt.resolve("d2"))).isEqualTo("victim\nx");
    }

    @Test
    void renamedDirectoryKeepsItsSubtree() throws Exception {
        Data.write(mnt.resolve("old/sub/deep/file"), "deep".getBytes());
        Data.write(mnt.resolve("old/top"), "top".getBytes());
        Files.createDirectories(mnt.resolve("old/emptysub"));
        Files.createDirectories(mnt.resolve("elsewhere"));

        Cmd.of("mv", mnt.resolve("old").toString(), mnt.resolve("elsewhere/new").toString()).ok();

        assertThat(mnt.resolve("old")).doesNotExist();
        assertThat(mnt.resolve("elsewhere/new/sub/deep/file")).hasBinaryContent("deep".getBytes());
        assertThat(mnt.resolve("elsewhere/new/top")).hasBinaryContent("top".getBytes());
        assertThat(mnt.resolve("elsewhere/new/emptysub")).isDirectory();
        // the subtree must be writable under its new name
        Data.write(mnt.resolve("elsewhere/new/sub/deep/file2"), "more".getBytes());
        assertThat(mnt.resolve("elsewhere/new/sub/deep/file2")).hasBinaryContent("more".getBytes());
    }

    @Test
    void symlinksKeepTheirTargetVerbatim() throws Exception {
        Data.write(mnt.resolve("dir/real"), "real content".getBytes());
        Cmd.of("ln", "-s", "dir/real", mnt.resolve("rel").toString()).ok();
        Cmd.of("ln", "-s", "/nonexistent/absolute/target", mnt.resolve("dangling").toString()).ok();
        Cmd.of("ln", "-s", "../dir/./real", mnt.resolve("dir/../dir/updown").toString()).ok();

        assertThat(Cmd.of("readlink", mnt.resolve("rel").toString()).ok().out()).isEqualTo("dir/real\n");
        assertThat(Cmd.of("readlink", mnt.resolve("dangling").toString()).ok().out())
                .isEqualTo("/nonexistent/absolute/target\n");
        assertThat(Cmd.of("readlink", mnt.resolve("dir/updown").toString()).ok().out()).isEqualTo("../dir/./real\n");
        assertThat(Cmd.of("cat", mnt.resolve("rel").toString()).ok().out()).isEqualTo("real content");
        assertThat(Cmd.of("cat", mnt.resolve("dir/updown").toString()).ok().out()).isEqualTo("real content");
        assertThat(Cmd.of("stat", "-c", "%F %s", mnt.resolve("dangling").toString()).ok().out())
                .isEqualTo("symbolic link " + "/nonexistent/absolute/target".length() + "\n");
        assertThat(Files.isSymbolicLink(mnt.resolve("rel"))).isTrue();
        assertThat(Files.exists(mnt.resolve("dangling"))).isFalse();
        assertThat(Files.exists(mnt.resolve("dangling"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void chmodShowsInStat() throws Exception {
        Data.write(mnt.resolve("f"), "x".getBytes());
        Files.createDirectories(mnt.resolve("d"));
        for (String mode : new String[] {"640", "755", "600", "0", "4755", "444"}) {
            Cmd.of("chmod", mode, mnt.resolve("f").toString()).ok();
            assertThat(stat("%a", mnt.resolve("f"))).as("mode after chmod " + mode).isEqualTo(mode);
        }
        Cmd.of("chmod", "1777", mnt.resolve("d").toString()).ok();
        assertThat(stat("%a %F", mnt.resolve("d"))).isEqualTo("1777 directory");
        Cmd.of("chmod", "700", mnt.resolve("d").toString()).ok();
        assertThat(stat("%a", mnt.resolve("d"))).isEqualTo("700");
        assertThat(stat("%F", mnt.resolve("f"))).isEqualTo("regular file");
    }

    @Test
    void touchDateShowsInStat() throws Exception {
        Data.write(mnt.resolve("f"), "x".getBytes());
        Files.createDirectories(mnt.resolve("d"));
        touch("2001-02-03 04:05:06", mnt.resolve("f"));
        touch("1999-12-31 23:59:59.123456789", mnt.resolve("d"));
        touch("2001-02-03 04:05:06", mnt.resolve("new-by-touch"));

        // 2001-02-03T04:05:06Z
        assertThat(stat("%Y", mnt.resolve("f"))).isEqualTo("981173106");
        assertThat(stat("%Y", mnt.resolve("new-by-touch"))).isEqualTo("981173106");
        assertThat(stat("%s", mnt.resolve("new-by-touch"))).isEqualTo("0");
        assertThat(Cmd.of("stat", "-c", "%y", mnt.resolve("d").toString()).env("TZ", "UTC").ok().out().strip())
                .isEqualTo("1999-12-31 23:59:59.123456789 +0000");
        // a later write must move mtime forward again
        long before = System.currentTimeMillis() / 1000 - 5;
        Files.write(mnt.resolve("f"), "y".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        assertThat(Long.parseLong(stat("%Y", mnt.resolve("f")))).isGreaterThanOrEqualTo(before);
    }

    @Test
    void userXattrsSetGetAndRemove() throws Exception {
        Path f = Data.write(mnt.resolve("f"), "x".getBytes());
        Path d = Files.createDirectories(mnt.resolve("d"));
        Cmd.of("setfattr", "-n", "user.color", "-v", "blue", f.toString()).ok();
        Cmd.of("setfattr", "-n", "user.bin", "-v", "0x00ff0a0d80", f.toString()).ok();
        Cmd.of("setfattr", "-n", "user.empty", f.toString()).ok();
        Cmd.of("setfattr", "-n", "user.ondir", "-v", "0x01", d.toString()).ok();

        assertThat(xattrs(f)).isEqualTo("user.bin=0x00ff0a0d80\nuser.color=0x626c7565\nuser.empty=0x\n");
        assertThat(Cmd.of("getfattr", "--only-values", "-n", "user.bin", f.toString()).ok().stdoutBytes())
                .containsExactly(0x00, 0xff, 0x0a, 0x0d, 0x80);
        assertThat(xattrs(d)).isEqualTo("user.ondir=0x01\n");

        Cmd.of("setfattr", "-n", "user.color", "-v", "green", f.toString()).ok();
        Cmd.of("setfattr", "-x", "user.bin", f.toString()).ok();
        assertThat(xattrs(f)).isEqualTo("user.color=0x677265656e\nuser.empty=0x\n");
        Cmd.Result missing = Cmd.of("getfattr", "-n", "user.bin", f.toString()).run();
        assertThat(missing.exit()).as(missing.describe("getfattr of a removed attribute")).isEqualTo(1);
        assertThat(missing.err()).contains("No such attribute");
        assertThat(Py.errno("os.removexattr(p[0], b'user.bin')", Py.bytes(f))).isEqualTo("ENODATA");
        // a binary value of a few KiB, as security labels or resource forks carry
        byte[] big = Data.random(3, 3000);
        Py.run("os.setxattr(p[0], b'user.big', p[1])\nassert os.getxattr(p[0], b'user.big') == p[1]",
                Py.bytes(f), big);
    }

    private String checksums(Path dir) {
        return Cmd.sh("cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum", dir.toString())
                .ok().out();
    }

    private static String ls(Path dir) {
        return Cmd.sh("ls -A \"$1\" | LC_ALL=C sort", dir.toString()).ok().out().strip();
    }

    static String stat(String format, Path p) {
        return Cmd.of("stat", "-c", format, p.toString()).ok().out().strip();
    }

    static void touch(String date, Path p) {
        Cmd.of("touch", "-d", date, p.toString()).env("TZ", "UTC").ok();
    }

    /** user.* attributes as name=hex lines, sorted. */
    static String xattrs(Path p) {
        Cmd.Result r = Cmd.of("getfattr", "-d", "-e", "hex", "-m", "^user\\.", p.toString()).ok();
        StringBuilder b = new StringBuilder();
        r.out().lines().filter(l -> l.startsWith("user.")).sorted().forEach(l -> b.append(l).append('\n'));
        return b.toString();
    }
}
