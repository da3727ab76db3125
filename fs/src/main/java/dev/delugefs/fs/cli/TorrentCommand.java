package dev.delugefs.fs.cli;

import dev.delugefs.swarm.TorrentFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
        System.out.write(TorrentFile.encode(VolumeFile.resolve(path, root).content()));
        System.out.flush();
        return 0;
    }
}
