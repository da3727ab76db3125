package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real programs whose correctness users rely on: tar, git, fio. */
class ToolsNativeTest extends MountedTest {

    @Test
    void tarIntoTheMountKeepsModesAndMtimesAndTarOutIsIdentical() {
        Path src = sandbox.newDir("src");
        makeSourceTree(src);
        Path t = mnt.resolve("t");

        Cmd.sh("mkdir \"$2\" && tar c -C \"$1\" . | tar x -p -C \"$2\"", src.toString(), t.toString())
                .timeout(Duration.ofMinutes(2)).ok();

        assertThat(listing(t)).containsExactlyElementsOf(listing(src));

        Path out = sandbox.newDir("out");
        Cmd.sh("tar c -C \"$1\" . | tar x -p -C \"$2\"", t.toString(), out.toString())
                .timeout(Duration.ofMinutes(2)).ok();
        Cmd.Result diff = Cmd.of("diff", "-r", "--no-dereference", src.toString(), out.toString()).run();
        assertThat(diff.exit()).as(diff.describe("diff -r of the tree that went through the mount")).isZero();
        assertThat(listing(out)).containsExactlyElementsOf(listing(src));
    }

    @Test
    void gitRepositoryInsideTheMountStaysConsistent() {
        Path repo = mnt.resolve("repo");
        git(mnt, "init", "-q", "-b", "main", repo.toString());
        makeSourceTree(repo.resolve("src"));
        // git does not track empty directories; drop them so worktree and clone compare equal
        Cmd.of("find", repo.resolve("src").toString(), "-type", "d", "-empty", "-delete").ok();
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "first");
        Data.write(repo.resolve("src/a/notes.txt"), "changed\n".getBytes());
        Data.write(repo.resolve("README"), "readme\n".getBytes());
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "second");
        git(repo, "mv", "README", "README.md");
        git(repo, "commit", "-q", "-m", "third");

        assertThat(git(repo, "log", "--format=%s").out()).isEqualTo("third\nsecond\nfirst\n");
        assertThat(git(repo, "status", "--porcelain").out()).isEmpty();
        assertThat(git(repo, "fsck", "--full", "--strict").err()).doesNotContain("error", "missing", "broken");
        // gc rewrites packs and deletes loose objects: renames and unlinks under load
        git(repo, "gc", "-q", "--aggressive");
        git(repo, "fsck", "--full", "--strict");

        node.restart();
        assertThat(git(repo, "status", "--porcelain").out()).isEmpty();
        git(repo, "fsck", "--full", "--strict");
        Path clone = sandbox.path("clone");
        git(sandbox.dir(), "clone", "-q", repo.toString(), clone.toString());
        Cmd.Result diff = Cmd.of("diff", "-r", "--exclude=.git", repo.toString(), clone.toString()).run();
        assertThat(diff.exit()).as(diff.describe("worktree in the mount vs a fresh clone")).isZero();
    }

    @Test
    void fioSequentialWriteVerifies() {
        fio("seq", "--rw=write", "--bs=128k");
    }

    @Test
    void fioRandomWriteOfMixedBlockSizesVerifies() {
        fio("rand", "--rw=randwrite", "--bsrange=4k-128k");
    }

    private void fio(String name, String... pattern) {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=" + name,
                "--filename=" + mnt.resolve(name + ".fio"), "--size=64M", "--ioengine=psync",
                "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--output-format=normal"));
        cmd.addAll(List.of(pattern));
        Cmd.Result r = Cmd.of(cmd).timeout(Duration.ofMinutes(3)).run();
        assertThat(r.exit()).as(r.describe("fio " + String.join(" ", pattern))).isZero();
        assertThat(r.out() + r.err()).as(r.describe("fio output")).doesNotContainIgnoringCase("verify failed")
                .doesNotContain("bad magic", "bad header").doesNotContainPattern("err=\\s*[1-9]")
                .containsPattern("err=\\s*0");
        assertThat(mnt.resolve(name + ".fio")).hasSize(64L * Data.MIB);
    }

    private Cmd.Result git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        return Cmd.of(cmd).in(dir).timeout(Duration.ofMinutes(2))
                .env("HOME", sandbox.dir().toString())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "Test").env("GIT_AUTHOR_EMAIL", "test@example.invalid")
                .env("GIT_COMMITTER_NAME", "Test").env("GIT_COMMITTER_EMAIL", "test@example.invalid")
                .ok();
    }

    /**
     * Files of assorted sizes and modes, an empty dir and file, symlinks, and fixed whole-second
     * mtimes (tar's default format keeps seconds only), set deepest first so directory times stick.
     */
    static void makeSourceTree(Path src) {
        Data.write(src.resolve("empty"), new byte[0]);
        Data.write(src.resolve("a/notes.txt"), "hello\nworld\n".getBytes());
        Data.write(src.resolve("a/b/blob.bin"), Data.random(11, 300_001));
        Data.write(src.resolve("a/b/c/big.bin"), Data.random(12, 2 * Data.MIB + 3));
        Data.write(src.resolve("bin/tool.sh"), "#!/bin/sh\necho hi\n".getBytes());
        Data.write(src.resolve("secret"), "s".getBytes());
        for (int i = 0; i < 30; i++) {
            Data.write(src.resolve("many/f" + i), Data.random(100 + i, i * 97));
        }
        String s = src.toString();
        Cmd.sh("cd \"$1\"\n"
                + "mkdir -p emptydir/inner\n"
                + "ln -s a/notes.txt link-to-notes\n"
                + "ln -s b/blob.bin a/link-rel\n"
                + "chmod 755 bin/tool.sh; chmod 600 secret; chmod 444 a/notes.txt; chmod 700 emptydir\n"
                + "chmod 2750 a/b\n"
                + "n=0; for f in $(find . -depth ! -type l); do n=$((n+1));"
                + " TZ=UTC touch -d \"2002-03-04 05:06:$((n % 60))\" \"$f\"; done\n", s).ok();
    }

    /** Type, mode, size (files), mtime (not of symlinks), link target, path: what tar must keep. */
    static List<String> listing(Path dir) {
        return Cmd.sh("cd \"$1\" && find . -mindepth 1 \\( -type l -printf '%y %m - - %l %P\\n' \\) -o "
                + "\\( -type f -printf '%y %m %s %T@ - %P\\n' \\) -o \\( -type d -printf '%y %m - %T@ - %P\\n' \\)"
                + " | LC_ALL=C sort -k6", dir.toString()).ok().lines();
    }
}
