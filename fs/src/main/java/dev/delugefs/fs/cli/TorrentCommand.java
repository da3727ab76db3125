package dev.delugefs.fs.cli;

import dev.delugefs.swarm.TorrentFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import dev.delugefs.fs.net.NodeSwarm;
import java.io.IOException;
import org.slf4j.LoggerFactory;

@Command(name = "torrent", mixinStandardHelpOptions = true,
        description = {"Write the .torrent of a file to standard output: any BitTorrent client can fetch the "
                + "file's bytes with it from a node that holds it (the node running on this root serves it "
                + "from now on). The torrent's single file is named 'data'."})
final class TorrentCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A file in a mounted volume, or with --root a path inside the volume.")
    String path;

    @Option(names = "--root", paramLabel = "DIR", description = "Read from this storage root instead of a mount.")
    Path root;

    @Override
    public Integer call() throws Exception {
        VolumeFile file = VolumeFile.resolve(path, root);
        System.out.write(TorrentFile.encode(file.content()));
        System.out.flush();
        offer(file);
        return 0;
    }

    /**
     * A node serves content when a peer asks for it; a stock client cannot ask, so the node is asked
     * here, as a peer would. Best effort: without a running node the .torrent is still written.
     */
    private static void offer(VolumeFile file) {
        if (file.content().length() == 0) {
            return;
        }
        try (NodeControl node = NodeControl.open(file.storageRoot())) {
            node.call("swarm-offer " + file.content().id(), NodeSwarm.describe(file.content()));
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(TorrentCommand.class).debug("the node of {} does not serve {} now: {}",
                    file.storageRoot(), file.volumePath(), e.toString());
        }
    }
}
