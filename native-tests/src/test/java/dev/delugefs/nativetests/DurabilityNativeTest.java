package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What survives a crash and a restart (DESIGN §5): a file whose close returned is never lost; a file
 * still open when the node dies comes back as before or not at all, never half-written.
 */
class DurabilityNativeTest extends MountedTest {

    @Test
    void everythingClosedSurvivesKill9() {
        populate("a");
        String before = Manifest.of(mnt);

        // no pause: grouping commits (≤ 200 ms) must not open a window where closed files are lost
        node.kill9();
        node.mount();

        assertThat(Manifest.of(mnt)).isEqualTo(before);
        // and the volume still takes writes after recovering
        populate("b");
        String after = Manifest.of(mnt);
        node.kill9();
        node.mount();
        assertThat(Manifest.of(mnt)).isEqualTo(after);
    }

    @Test
    void filesOpenAtTheCrashAreOldOrAbsentNeverPartial() throws Exception {
        byte[] old = Data.random(1, Data.MIB);
        byte[] old2 = Data.random(2, 3 * Data.MIB);
        Data.write(mnt.resolve("old.bin"), old);
        Data.write(mnt.resolve("old2.bin"), old2);
        Path ready = sandbox.path("writer-ready");
        // a writer that stops half-way and keeps its files open, as a program would at a crash
        Process writer = new ProcessBuilder(List.of("/usr/bin/python3", "-c", """
                import os, sys, time
                m = sys.argv[1].encode()
                new = os.open(m + b'/new.bin', os.O_CREAT | os.O_WRONLY, 0o644)
                os.write(new, b'N' * (2 * 1024 * 1024))
                trunc = os.open(m + b'/old.bin', os.O_WRONLY | os.O_TRUNC)
                os.write(trunc, b'T' * (512 * 1024))
                inplace = os.open(m + b'/old2.bin', os.O_RDWR)
                os.pwrite(inplace, b'P' * (100 * 1024), 1024 * 1024)
                open(sys.argv[2], 'w').close()
                time.sleep(600)
                """, mnt.toString(), ready.toString()))
                .redirectErrorStream(true)
                .redirectOutput(sandbox.path("writer.log").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(ready)) {
                assertThat(writer.isAlive()).as("writer died before it was ready").isTrue();
                assertThat(System.nanoTime()).as("writer not ready after 30 s").isLessThan(deadline);
                NodeProcess.sleep(20);
            }
            node.kill9();
        } finally {
            Processes.killTree(writer.toHandle());
        }
        node.mount();

        // open(O_CREAT) alone may have been recorded as an empty file; anything more is a torn write
        if (Files.exists(mnt.resolve("new.bin"))) {
            assertThat(Files.size(mnt.resolve("new.bin"))).as("size of new.bin, open at the crash").isZero();
        }
        assertThat(Data.sha256(mnt.resolve("old.bin"))).as("old.bin, truncated and rewritten when the node died")
                .isEqualTo(Data.sha256(old));
        assertThat(Data.sha256(mnt.resolve("old2.bin"))).as("old2.bin, patched in place when the node died")
                .isEqualTo(Data.sha256(old2));
    }

    @Test
    void persistsAfterSigtermAndAfterUnmount() {
        populate("a");
        String first = Manifest.of(mnt);
        node.stop();
        node.mount();
        assertThat(Manifest.of(mnt)).isEqualTo(first);

        populate("b");
        String second = Manifest.of(mnt);
        node.unmountViaCli();
        node.mount();
        assertThat(Manifest.of(mnt)).isEqualTo(second);
    }

    /**
     * Under dir: 150 small files (a burst of closes, as a commit group), some larger ones up to
     * 3 MiB, an empty file and dir, modes, fixed mtimes, xattrs, a symlink, a rename and a delete.
     */
    private void populate(String dir) {
        Path d = mnt.resolve(dir);
        for (int i = 0; i < 150; i++) {
            Data.write(d.resolve("small/s" + i), Data.random(dir.hashCode() + i, i * 31));
        }
        int[] sizes = {0, 4096, 4097, 100_000, Data.MIB, 3 * Data.MIB + 5};
        for (int i = 0; i < sizes.length; i++) {
            Data.write(d.resolve("big/f" + i), Data.random(dir.hashCode() * 7 + i, sizes[i]));
        }
        String s = d.toString();
        Cmd.sh("cd \"$1\"\n"
                + "mkdir -p empty/deeper\n"
                + "chmod 600 big/f1; chmod 755 big/f2; chmod 700 empty\n"
                + "TZ=UTC touch -d '2001-02-03 04:05:06.5' big/f3\n"
                + "setfattr -n user.tag -v 0x00ff01 big/f4\n"
                + "setfattr -n user.dir -v hello empty\n"
                + "ln -s ../big/f5 small/link\n"
                + "mv big/f0 big/f0-renamed\n"
                + "rm small/s7\n"
                + "rmdir empty/deeper\n", s).ok();
        assertThat(d.resolve("small/s7")).doesNotExist();
    }
}
