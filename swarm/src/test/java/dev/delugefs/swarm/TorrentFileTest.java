package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

import static dev.delugefs.swarm.ContentWriterTest.write;
import static org.assertj.core.api.Assertions.assertThat;

/** The exported .torrent is standard: it parses, its info-hash is the content id, and real clients agree. */
class TorrentFileTest {
    private static final int PIECE = BlockStore.MIN_PIECE_LENGTH;
    private static final String PYTHON = "/usr/bin/python3";
    private static final String ARIA2C = "/usr/bin/aria2c";

    /** Prints the v1 info-hash and total size as libtorrent reads them; then checks the data if a directory is given. */
    private static final String LIBTORRENT_SCRIPT = String.join("\n",
            "import sys, time, libtorrent as lt",
            "ti = lt.torrent_info(sys.argv[1])",
            "h = ti.info_hashes().v1 if hasattr(ti, 'info_hashes') else ti.info_hash()",
            "print(str(h), ti.total_size(), ti.num_pieces(), ti.piece_length(), ti.name())",
            "if len(sys.argv) > 2:",
            "    ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,",
            "                      'enable_upnp': False, 'enable_natpmp': False})",
            "    handle = ses.add_torrent({'ti': ti, 'save_path': sys.argv[2]})",
            "    deadline = time.time() + 30",
            "    while time.time() < deadline and not handle.status().is_seeding:",
            "        time.sleep(0.05)",
            "    print('seeding' if handle.status().is_seeding else 'incomplete', handle.status().num_pieces)");

    @TempDir Path dir;

    @Test
    void torrentParsesAndItsInfoDictionaryHashesToTheId() {
        ContentInfo info = Reference.info(Reference.randomBytes(1, 2 * PIECE + 5), PIECE);
        Instant created = Instant.ofEpochSecond(1_700_000_000L);
        byte[] torrent = TorrentFile.encode(info, created);

        Map<String, Object> top = BencodeDecoder.decodeDictionary(torrent);
        assertThat(top).containsOnlyKeys("info", "created by", "creation date");
        assertThat(new String((byte[]) top.get("created by"), StandardCharsets.UTF_8)).isEqualTo("DelugeFS");
        assertThat(top.get("creation date")).isEqualTo(1_700_000_000L);
        @SuppressWarnings("unchecked")
        Map<String, Object> infoDict = (Map<String, Object>) top.get("info");
        assertThat(infoDict).containsOnlyKeys("length", "name", "piece length", "pieces");
        assertThat(infoDict.get("length")).isEqualTo(info.length());
        assertThat(infoDict.get("piece length")).isEqualTo((long) PIECE);
        assertThat((byte[]) infoDict.get("name")).isEqualTo("data".getBytes(StandardCharsets.US_ASCII));
        assertThat((byte[]) infoDict.get("pieces")).isEqualTo(info.pieces());
        byte[] rawInfo = BencodeDecoder.rawValue(torrent, "info");
        assertThat(HexFormat.of().formatHex(Reference.sha1(rawInfo))).isEqualTo(info.id());
    }

    @Test
    void theSameContentGivesTheSameTorrentOnEveryNode() {
        ContentInfo info = Reference.info(new byte[] {1, 2, 3}, PIECE);
        Instant created = Instant.ofEpochSecond(42);
        assertThat(TorrentFile.encode(info, created)).isEqualTo(TorrentFile.encode(info, created));
    }

    @Test
    void libtorrentReadsTheIdAndSizeAndAcceptsTheStoredData() throws Exception {
        ExternalTool.require("python3-libtorrent", PYTHON, "-c", "import libtorrent");
        byte[] data = Reference.randomBytes(2, 5 * PIECE + 77);
        ContentInfo info;
        try (BlockStore store = BlockStore.open(dir.resolve("node"));
             ContentWriter writer = store.create(PIECE)) {
            write(writer, 0, data);
            info = writer.seal();
        }
        Path torrent = Files.write(dir.resolve("x.torrent"), TorrentFile.encode(info));
        Path download = Files.createDirectories(dir.resolve("download"));
        Files.write(download.resolve("data"), data);

        ExternalTool.Result result = ExternalTool.run(PYTHON, "-c", LIBTORRENT_SCRIPT, torrent.toString(),
                download.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains(info.id() + " " + data.length + " 6 " + PIECE + " data")
                .contains("seeding 6");
    }

    @Test
    void libtorrentReadsContentAboveFourGibibytes() throws Exception {
        ExternalTool.require("python3-libtorrent", PYTHON, "-c", "import libtorrent");
        ContentInfo info = hugeContent();
        Path torrent = Files.write(dir.resolve("big.torrent"), TorrentFile.encode(info));

        ExternalTool.Result result = ExternalTool.run(PYTHON, "-c", LIBTORRENT_SCRIPT, torrent.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains(info.id() + " " + info.length() + " " + info.pieceCount());
    }

    @Test
    void aria2ShowsTheFileWithItsLength() throws Exception {
        ExternalTool.require("aria2c", ARIA2C, "--version");
        for (ContentInfo info : new ContentInfo[] {Reference.info(Reference.randomBytes(3, 3 * PIECE + 1), PIECE), hugeContent()}) {
            Path torrent = Files.write(dir.resolve(info.id() + ".torrent"), TorrentFile.encode(info));

            ExternalTool.Result result = ExternalTool.run(ARIA2C, "--no-conf", "--show-files", torrent.toString());

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output())
                    .contains("Info Hash: " + info.id())
                    .contains("(" + String.format(Locale.US, "%,d", info.length()) + ")")
                    .contains("Name: data");
        }
    }

    /** A 5 GiB content described by made-up piece hashes: enough to check how clients read the torrent. */
    private static ContentInfo hugeContent() {
        long length = (5L << 30) + 123;
        int pieceLength = 1 << 20;
        int pieces = (int) ((length + pieceLength - 1) / pieceLength);
        return ContentInfo.of(length, pieceLength, Reference.randomBytes(4, pieces * 20));
    }
}
