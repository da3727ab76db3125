package dev.delugefs.fs.cli;

import dev.delugefs.fs.fuse.MountPoints;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.Record;
import dev.delugefs.swarm.ContentInfo;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A regular file of a volume as the CLI names it: a path in a mount, or a volume path with --root. */
record VolumeFile(Path storageRoot, String volumePath, ContentInfo content) {

    static VolumeFile resolve(String path, Path root) throws IOException {
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
        NamespaceStore.Snapshot snapshot = NamespaceStore.readOnly(storage);
        Record record = snapshot.records().get(toRaw(volumePath));
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
        return new VolumeFile(storage, volumePath, info);
    }

    /** Volume paths are raw bytes as chars; the JVM decoded this one from the command line. */
    private static String toRaw(String decoded) {
        Charset jnu = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        return new String(decoded.getBytes(jnu), StandardCharsets.ISO_8859_1);
    }
}
