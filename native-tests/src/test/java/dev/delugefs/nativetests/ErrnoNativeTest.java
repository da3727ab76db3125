package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The errno a program gets for each mistake, as on a local filesystem. Each case runs one syscall
 * through Python so the exact errno is visible, not a tool's paraphrase of it.
 */
class ErrnoNativeTest extends MountedTest {

    @BeforeEach
    void layout() {
        Py.run("os.mkdir(p[0] + b'/dir')\n"
                + "os.mkdir(p[0] + b'/dir/sub')\n"
                + "os.mkdir(p[0] + b'/empty')\n"
                + "os.mkdir(p[0] + b'/full')\n"
                + "open(p[0] + b'/full/f', 'wb').close()\n"
                + "open(p[0] + b'/file', 'wb').write(b'content')\n", Py.bytes(mnt));
    }

    /** errno of the statements, with {@code m} bound to the mount root as bytes. */
    private String errno(String statements) {
        return Py.errno("m = p[0]\n" + statements, Py.bytes(mnt));
    }

    @Test
    void enoent() {
        SoftAssertions s = new SoftAssertions();
        s.assertThat(errno("open(m + b'/missing', 'rb')")).as("open missing").isEqualTo("ENOENT");
        s.assertThat(errno("os.stat(m + b'/missing')")).as("stat missing").isEqualTo("ENOENT");
        s.assertThat(errno("os.unlink(m + b'/missing')")).as("unlink missing").isEqualTo("ENOENT");
        s.assertThat(errno("os.rmdir(m + b'/missing')")).as("rmdir missing").isEqualTo("ENOENT");
        s.assertThat(errno("os.rename(m + b'/missing', m + b'/x')")).as("rename missing").isEqualTo("ENOENT");
        s.assertThat(errno("open(m + b'/nodir/f', 'wb')")).as("create in missing dir").isEqualTo("ENOENT");
        s.assertThat(errno("os.readlink(m + b'/missing')")).as("readlink missing").isEqualTo("ENOENT");
        s.assertThat(errno("os.getxattr(m + b'/missing', b'user.x')")).as("getxattr missing").isEqualTo("ENOENT");
        s.assertAll();
    }

    @Test
    void eexist() {
        SoftAssertions s = new SoftAssertions();
        s.assertThat(errno("os.mkdir(m + b'/dir')")).as("mkdir twice").isEqualTo("EEXIST");
        s.assertThat(errno("os.mkdir(m + b'/file')")).as("mkdir over a file").isEqualTo("EEXIST");
        s.assertThat(errno("os.open(m + b'/file', os.O_CREAT | os.O_EXCL | os.O_WRONLY)"))
                .as("O_CREAT|O_EXCL on a file").isEqualTo("EEXIST");
        s.assertThat(errno("os.open(m + b'/dir', os.O_CREAT | os.O_EXCL | os.O_WRONLY)"))
                .as("O_CREAT|O_EXCL on a dir").isEqualTo("EEXIST");
        s.assertThat(errno("os.symlink(b'target', m + b'/file')")).as("symlink over a file").isEqualTo("EEXIST");
        s.assertAll();
        assertThat(mnt.resolve("file")).hasBinaryContent("content".getBytes());
    }

    @Test
    void enotemptyEnotdirEisdir() {
        SoftAssertions s = new SoftAssertions();
        s.assertThat(errno("os.rmdir(m + b'/full')")).as("rmdir non-empty").isEqualTo("ENOTEMPTY");
        s.assertThat(errno("os.rmdir(m + b'/dir')")).as("rmdir with a subdir").isEqualTo("ENOTEMPTY");
        s.assertThat(errno("open(m + b'/file/x', 'rb')")).as("file as a dir").isEqualTo("ENOTDIR");
        s.assertThat(errno("os.mkdir(m + b'/file/x')")).as("mkdir below a file").isEqualTo("ENOTDIR");
        s.assertThat(errno("os.rmdir(m + b'/file')")).as("rmdir a file").isEqualTo("ENOTDIR");
        s.assertThat(errno("os.listdir(m + b'/file')")).as("listdir a file").isEqualTo("ENOTDIR");
        s.assertThat(errno("os.rename(m + b'/dir', m + b'/file')")).as("rename dir over file").isEqualTo("ENOTDIR");
        s.assertThat(errno("os.open(m + b'/dir', os.O_WRONLY)")).as("open dir for write").isEqualTo("EISDIR");
        s.assertThat(errno("os.open(m + b'/dir', os.O_RDWR)")).as("open dir read-write").isEqualTo("EISDIR");
        s.assertThat(errno("os.unlink(m + b'/dir')")).as("unlink a dir").isEqualTo("EISDIR");
        s.assertThat(errno("os.rename(m + b'/file', m + b'/empty')")).as("rename file over dir").isEqualTo("EISDIR");
        s.assertAll();
    }

    @Test
    void enametoolongAndEinval() {
        SoftAssertions s = new SoftAssertions();
        s.assertThat(errno("open(m + b'/' + b'n' * 256, 'wb')")).as("create 256-byte name")
                .isEqualTo("ENAMETOOLONG");
        s.assertThat(errno("os.mkdir(m + b'/' + b'n' * 256)")).as("mkdir 256-byte name").isEqualTo("ENAMETOOLONG");
        s.assertThat(errno("os.stat(m + b'/' + b'n' * 256)")).as("stat 256-byte name").isEqualTo("ENAMETOOLONG");
        s.assertThat(errno("os.rename(m + b'/file', m + b'/' + b'n' * 256)")).as("rename to 256-byte name")
                .isEqualTo("ENAMETOOLONG");
        s.assertThat(errno("open(m + b'/' + b'n' * 255, 'wb').close()")).as("255 bytes is fine").isEqualTo("OK");
        s.assertThat(errno("os.rename(m + b'/dir', m + b'/dir/sub/inside')")).as("dir into own subdir")
                .isEqualTo("EINVAL");
        s.assertThat(errno("os.rename(m + b'/dir', m + b'/dir/inside')")).as("dir into itself").isEqualTo("EINVAL");
        s.assertAll();
        assertThat(mnt.resolve("dir/sub")).isDirectory();
    }

    @Test
    void hardLinksAreRefused() {
        assertThat(errno("os.link(m + b'/file', m + b'/hard')")).isEqualTo("EPERM");
        assertThat(mnt.resolve("hard")).doesNotExist();
        assertThat(mnt.resolve("file")).hasBinaryContent("content".getBytes());
    }

    @Test
    void renameOverEmptyDirWorksOverNonEmptyDirFails() {
        Py.run("open(p[0] + b'/dir/sub/payload', 'wb').write(b'p')", Py.bytes(mnt));
        assertThat(errno("os.rename(m + b'/dir', m + b'/empty')")).isEqualTo("OK");
        assertThat(mnt.resolve("dir")).doesNotExist();
        assertThat(mnt.resolve("empty/sub/payload")).hasBinaryContent("p".getBytes());

        assertThat(errno("os.rename(m + b'/empty', m + b'/full')")).isEqualTo("ENOTEMPTY");
        assertThat(mnt.resolve("empty/sub/payload")).hasBinaryContent("p".getBytes());
        assertThat(mnt.resolve("full/f")).exists();
    }

    @Test
    void specialFilesAreRefusedWithEnotsup() {
        String fifo = errno("os.mkfifo(m + b'/fifo')");
        // Linux gives 95 both names; python reports whichever it lists first
        assertThat(fifo).isIn("ENOTSUP", "EOPNOTSUPP");
        assertThat(errno("os.stat(m + b'/fifo')")).isEqualTo("ENOENT");
    }

    /** POSIX behaviour programs quietly rely on (temp files, logs, sparse files). */
    @Test
    void openFileSemantics() {
        Py.run("m = p[0]\n"
                // an unlinked file stays usable through its descriptor
                + "fd = os.open(m + b'/tmpfile', os.O_CREAT | os.O_RDWR, 0o600)\n"
                + "os.write(fd, b'still here')\n"
                + "os.unlink(m + b'/tmpfile')\n"
                + "assert not os.path.exists(m + b'/tmpfile')\n"
                + "assert os.pread(fd, 100, 0) == b'still here', 'read after unlink'\n"
                + "os.close(fd)\n"
                + "assert os.listdir(m).count(b'tmpfile') == 0\n"
                // O_APPEND
                + "open(m + b'/log', 'wb').write(b'a')\n"
                + "fd = os.open(m + b'/log', os.O_WRONLY | os.O_APPEND)\n"
                + "os.write(fd, b'b'); os.close(fd)\n"
                + "assert open(m + b'/log', 'rb').read() == b'ab', 'append'\n"
                // holes read as zeros; truncate both ways
                + "fd = os.open(m + b'/sparse', os.O_CREAT | os.O_RDWR, 0o644)\n"
                + "os.pwrite(fd, b'end', 3 * 1024 * 1024)\n"
                + "os.close(fd)\n"
                + "d = open(m + b'/sparse', 'rb').read()\n"
                + "assert len(d) == 3 * 1024 * 1024 + 3, 'size with hole'\n"
                + "assert d[:-3] == bytes(3 * 1024 * 1024) and d[-3:] == b'end', 'hole'\n"
                + "os.truncate(m + b'/sparse', 10)\n"
                + "assert open(m + b'/sparse', 'rb').read() == bytes(10), 'truncate down'\n"
                + "os.truncate(m + b'/sparse', 20)\n"
                + "assert open(m + b'/sparse', 'rb').read() == bytes(20), 'truncate up'\n"
                // a file renamed while open keeps taking writes under its new name
                + "fd = os.open(m + b'/moving', os.O_CREAT | os.O_WRONLY, 0o644)\n"
                + "os.write(fd, b'one ')\n"
                + "os.rename(m + b'/moving', m + b'/moved')\n"
                + "os.write(fd, b'two')\n"
                + "os.close(fd)\n"
                + "assert open(m + b'/moved', 'rb').read() == b'one two', open(m + b'/moved', 'rb').read()\n"
                + "assert not os.path.exists(m + b'/moving')\n"
                // overwrite in the middle keeps the rest
                + "open(m + b'/mid', 'wb').write(b'0123456789')\n"
                + "fd = os.open(m + b'/mid', os.O_WRONLY)\n"
                + "os.pwrite(fd, b'xx', 4); os.close(fd)\n"
                + "assert open(m + b'/mid', 'rb').read() == b'0123xx6789', 'overwrite'\n"
                // mmap reads see file content
                + "import mmap\n"
                + "with open(m + b'/mid', 'rb') as f:\n"
                + "    mm = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
                + "    assert mm[:] == b'0123xx6789', 'mmap'\n"
                + "    mm.close()\n", Py.bytes(mnt));
    }
}
