package dev.delugefs.fs.cli;

import dev.delugefs.fs.fuse.MountPoints;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.Record;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.TorrentFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "torrent", mixinStandardHelpOptions = true,
        description = {"Write the .torrent of a file to standard output: any BitTorrent client can fetch the "
                + "file's bytes with it. The torrent's single file is named 'data'."})
final class TorrentCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A file in a mounted volume, or with --root a path inside the volume.")
    String path;

    @Option(names = "--root", paramLabel = "DIR", description = "Read from this storage root instead of a mount.")
    Path root;

    @Override
    public Integer call() throws Exception {
        Path storage;
        String volumePath;
        if (root != null) {
            storage = root.toAbsolutePath().normalize();
            volumePath = path.startsWith("/") ? path : "/" + path;
        } else {
            Path real = Path.of(path).toRealPath();
            MountPoints.Mount mount = MountPoints.delugefsMountOf(real).orElseThrow(() -> new IOException(
                    path + " is not in a mounted DelugeFS volume (give --root DIR for a volume path)"));
            storage = Path.of(mount.source());
            volumePath = "/" + mount.mountpoint().relativize(real);
        }
        String raw = toRaw(volumePath);
        NamespaceStore.Snapshot snapshot = NamespaceStore.readOnly(storage);
        Record record = snapshot.records().get(raw);
        if (record == null || record.type() == Record.Type.DELETED) {
            throw new IOException("no file " + volumePath + " in the volume (a file shows up here once it is closed)");
        }
        if (record.type() != Record.Type.FILE) {
            throw new IOException(volumePath + " is not a regular file");
        }
        Record.Content content = record.content();
        ContentInfo info = content == null
                ? ContentInfo.of(0, snapshot.volume().pieceLength(), new byte[0])
                : ContentInfo.of(record.size(), content.pieceLength(), content.pieces());
        if (content != null && !info.id().equals(content.id())) {
            throw new IOException("the record of " + volumePath + " is damaged: its pieces do not hash to its id");
        }
        System.out.write(TorrentFile.encode(info));
        System.out.flush();
        return 0;
    }

    /** Volume paths are raw bytes as chars; the JVM decoded this one from the command line. */
    private static String toRaw(String decoded) {
        Charset jnu = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        return new String(decoded.getBytes(jnu), StandardCharsets.ISO_8859_1);
    }
}
