package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The command line as scripts and users drive it: exit codes, messages, refusals, torrents. */
class CliNativeTest {
    private Sandbox sandbox;

    @BeforeEach
    void sandbox(TestInfo info) {
        sandbox = Sandbox.create("Cli-" + info.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void cleanup() {
        sandbox.close();
    }

    @Test
    void helpForEveryCommandExitsZero() {
        for (String[] args : new String[][] {{"--help"}, {"create", "--help"}, {"mount", "--help"},
                {"unmount", "--help"}, {"torrent", "--help"}}) {
            Cmd.Result r = NodeProcess.cli(args).run();
            assertThat(r.exit()).as(r.describe(String.join(" ", args))).isZero();
            assertThat(r.out()).as(r.describe(String.join(" ", args) + " prints usage")).containsIgnoringCase("usage");
        }
    }

    @Test
    void usageErrorsExitTwo() {
        for (String[] args : new String[][] {{}, {"no-such-command"}, {"create"}, {"mount", "vol"},
                {"create", "vol", "--root"}, {"mount", "vol", "--root", "/tmp", "--no-such-flag"},
                {"unmount"}, {"create", "vol", "--root", sandbox.path("r").toString(), "--piece-size", "lots"}}) {
            Cmd.Result r = NodeProcess.cli(args).run();
            assertThat(r.exit()).as(r.describe("usage error: " + String.join(" ", args))).isEqualTo(2);
            assertThat(r.err()).as(r.describe("says something on stderr")).isNotBlank();
        }
    }

    @Test
    void createRefusesANonEmptyRoot() throws Exception {
        Path root = sandbox.newDir("root");
        Data.write(root.resolve("precious"), "mine".getBytes());
        Path mnt = sandbox.path("mnt");

        Cmd.Result r = NodeProcess.cli("create", "vol", "--root", root.toString(), mnt.toString()).run();

        assertThat(r.exit()).as(r.describe("create on a non-empty root")).isEqualTo(1);
        assertThat(errorLines(r)).as(r.describe("one error line")).hasSize(1);
        try (var list = Files.list(root)) {
            assertThat(list.map(p -> p.getFileName().toString())).as("root left untouched").containsExactly("precious");
        }
        assertThat(Processes.isMounted(mnt)).isFalse();
    }

    @Test
    void mountRefusesTheRootOfAnotherVolume() {
        Path root = sandbox.newDir("root");
        NodeProcess.cli("create", "first", "--root", root.toString(), "--no-start").ok();
        Path mnt = sandbox.path("mnt");

        Cmd.Result r = NodeProcess.cli("mount", "second", "--root", root.toString(), mnt.toString()).run();

        assertThat(r.exit()).as(r.describe("mount with another volume's root")).isEqualTo(1);
        assertThat(errorLines(r)).as(r.describe("one error line")).hasSize(1);
        assertThat(Processes.isMounted(mnt)).isFalse();
        // the rightful volume still mounts from that root
        NodeProcess ok = NodeProcess.configure(sandbox, "first", root, mnt);
        ok.mount();
        ok.stop();
    }

    @Test
    void mountRefusesABusyMountpoint() throws Exception {
        NodeProcess a = sandbox.newVolume("a");
        Data.write(a.p("file"), "a's".getBytes());
        Path rootB = sandbox.newDir("root-b");
        NodeProcess.cli("create", "b", "--root", rootB.toString(), "--no-start").ok();

        Cmd.Result onMount = NodeProcess.cli("mount", "b", "--root", rootB.toString(), a.mountpoint().toString()).run();
        assertThat(onMount.exit()).as(onMount.describe("mount over a live mount")).isEqualTo(1);
        assertThat(errorLines(onMount)).as(onMount.describe("one error line")).hasSize(1);
        assertThat(a.p("file")).hasBinaryContent("a's".getBytes());

        Path full = sandbox.newDir("not-empty");
        Data.write(full.resolve("x"), "x".getBytes());
        Cmd.Result onFull = NodeProcess.cli("mount", "b", "--root", rootB.toString(), full.toString()).run();
        assertThat(onFull.exit()).as(onFull.describe("mount on a non-empty dir")).isEqualTo(1);
        assertThat(Processes.isMounted(full)).isFalse();

        Path file = Data.write(sandbox.path("a-file"), "f".getBytes());
        Cmd.Result onFile = NodeProcess.cli("mount", "b", "--root", rootB.toString(), file.toString()).run();
        assertThat(onFile.exit()).as(onFile.describe("mount on a regular file")).isEqualTo(1);
        a.stop();
    }

    /** A container started without the FUSE device: the node must say so, not hang or crash. */
    @Test
    void mountRefusesWithoutDevFuse() {
        Path root = sandbox.newDir("root");
        NodeProcess.cli("create", "vol", "--root", root.toString(), "--no-start").ok();
        Path mnt = sandbox.path("mnt");
        // a private mount namespace whose /dev lacks fuse, as in a container without --device /dev/fuse
        Cmd.Result r = Cmd.sh("unshare -m sh -c 'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3"
                        + " && mknod -m 444 /dev/urandom c 1 9 && mknod -m 444 /dev/random c 1 8 && exec \"$0\" \"$@\"'"
                        + " \"$@\"", NodeProcess.launcher().toString(), "mount", "vol", "--root", root.toString(),
                mnt.toString()).run();
        assertThat(r.exit()).as(r.describe("mount without /dev/fuse")).isEqualTo(1);
        assertThat(errorLines(r)).as(r.describe("one error line")).hasSize(1);
        assertThat(errorLines(r).get(0)).contains("/dev/fuse");
        assertThat(Processes.isMounted(mnt)).isFalse();
    }

    @Test
    void createWithoutStartThenMountAndUnmount() throws Exception {
        Path root = sandbox.newDir("root");
        Cmd.Result created = NodeProcess.cli("create", "vol", "--root", root.toString(), "--no-start").run();
        assertThat(created.exit()).as(created.describe("create --no-start")).isZero();
        try (var list = Files.list(root)) {
            assertThat(list.count()).as("create wrote the root").isPositive();
        }
        NodeProcess n = NodeProcess.configure(sandbox, "vol", root, sandbox.path("mnt"));
        n.mount();
        Data.write(n.p("f"), "x".getBytes());
        n.unmountViaCli();
        Cmd.Result again = NodeProcess.cli("unmount", n.mountpoint().toString()).run();
        assertThat(again.exit()).as(again.describe("unmount of something not mounted")).isEqualTo(1);
    }

    @Test
    void torrentExportsTheContentIdAndStandardClientsAgree() throws Exception {
        NodeProcess n = sandbox.newVolume("vol", "--piece-size", "262144");
        byte[] content = Data.random(42, 3 * Data.MIB + 12345);
        Path a = Data.write(n.p("dir/a.bin"), content);
        Path b = Data.write(n.p("other/b.bin"), content);
        Path c = Data.write(n.p("c.bin"), Data.random(43, 3 * Data.MIB + 12345));

        Path ta = torrent(a);
        Path tb = torrent(b);
        Path tc = torrent(c);

        Path expected = Data.write(sandbox.path("expected.bin"), content);
        // libtorrent's reading, and the info-hash recomputed from the bytes we wrote (DESIGN §4)
        String[] lt = Py.run("""
                import libtorrent as lt
                ti = lt.torrent_info(p[0].decode())
                d = open(p[1].decode(), 'rb').read()
                pl = ti.piece_length()
                pieces = b''.join(hashlib.sha1(d[i:i + pl]).digest() for i in range(0, len(d), pl))
                info = {b'length': len(d), b'name': b'data', b'piece length': pl, b'pieces': pieces}
                print(ti.info_hash(), ti.total_size(), pl, ti.num_files(), ti.files().file_path(0),
                      hashlib.sha1(lt.bencode(info)).hexdigest())
                """, Py.bytes(ta), Py.bytes(expected)).out().strip().split(" ");
        assertThat(lt[0]).as("libtorrent info-hash vs hash of the expected info dict").isEqualTo(lt[5]);
        assertThat(lt[1]).as("libtorrent total size").isEqualTo(String.valueOf(content.length));
        assertThat(lt[2]).as("piece length from --piece-size").isEqualTo("262144");
        assertThat(lt[3] + " " + lt[4]).as("one file named data").isEqualTo("1 data");

        Cmd.Result aria = Cmd.of("aria2c", "--show-files", ta.toString()).ok();
        assertThat(field(aria.out(), "Info Hash: ([0-9a-f]{40})")).as(aria.describe("aria2c info hash"))
                .isEqualTo(lt[0]);
        assertThat(field(aria.out(), "Total Length: .*\\(([0-9,]+)\\)").replace(",", ""))
                .as(aria.describe("aria2c total length")).isEqualTo(String.valueOf(content.length));

        assertThat(infoHash(tb)).as("same bytes on another path: same content id").isEqualTo(lt[0]);
        assertThat(infoHash(tc)).as("other bytes: another content id").isNotEqualTo(lt[0]);

        Path outside = Data.write(sandbox.path("outside"), "x".getBytes());
        Cmd.Result notOurs = NodeProcess.cli("torrent", outside.toString()).run();
        assertThat(notOurs.exit()).as(notOurs.describe("torrent of a file outside DelugeFS")).isEqualTo(1);
        assertThat(errorLines(notOurs)).as(notOurs.describe("one error line")).hasSize(1);
        n.stop();
    }

    /** Logs share stderr with the error, so look for the error's own line among them. */
    private static List<String> errorLines(Cmd.Result r) {
        return r.err().lines().filter(l -> l.startsWith("delugefs: error: ")).toList();
    }

    private static String infoHash(Path torrent) {
        return Py.run("import libtorrent as lt\nprint(lt.torrent_info(p[0].decode()).info_hash())", Py.bytes(torrent))
                .out().strip();
    }

    private static String field(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("\"" + regex + "\" in:\n" + text).isTrue();
        return m.group(1);
    }

    private Path torrent(Path file) {
        Cmd.Result r = NodeProcess.cli("torrent", file.toString()).run();
        assertThat(r.exit()).as(r.describe("delugefs torrent " + file)).isZero();
        Path out = sandbox.path(file.getFileName() + ".torrent");
        Data.write(out, r.stdoutBytes());
        return out;
    }
}
