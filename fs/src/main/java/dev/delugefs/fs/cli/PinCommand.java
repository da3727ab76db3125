package dev.delugefs.fs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.fs.net.NodeSwarm;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "pin", mixinStandardHelpOptions = true,
        description = {"Fetch files completely onto this node, from the nodes that hold them, with a progress "
                + "bar. A directory pins every file under it. The node must be running."})
final class PinCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_MILLIS = 200;

    @Parameters(paramLabel = "PATH", arity = "1..*",
            description = "Files or directories in a mounted volume, or with --root paths inside the volume.")
    List<String> paths;

    @Option(names = "--root", paramLabel = "DIR", description = "Pin on the node of this storage root (paths are volume paths).")
    Path root;

    @Override
    public Integer call() throws Exception {
        List<VolumeFile> files = new ArrayList<>();
        for (String path : paths) {
            for (String file : expand(path)) {
                files.add(VolumeFile.resolve(file, root));
            }
        }
        Path storage = null;
        for (VolumeFile file : files) {
            if (storage != null && !storage.equals(file.storageRoot())) {
                throw new IOException("the paths are in volumes of different nodes; pin them one node at a time");
            }
            storage = file.storageRoot();
        }
        if (storage == null) {
            return 0;
        }
        long total = files.stream().mapToLong(f -> f.content().length()).sum();
        try (NodeControl node = NodeControl.open(storage);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("pin").setInitialMax(total)
                     .setStyle(ProgressBarStyle.ASCII).setUnit(" MiB", 1 << 20).showSpeed().build()) {
            long done = 0;
            for (VolumeFile file : files) {
                bar.setExtraMessage(file.volumePath());
                done += pin(node, file, bar, done);
            }
            bar.stepTo(total);
        }
        return 0;
    }

    /** Directories in a mount are walked; volume paths (--root) name files. */
    private List<String> expand(String path) throws IOException {
        Path local = Path.of(path);
        if (root != null || !Files.isDirectory(local)) {
            return List.of(path);
        }
        try (Stream<Path> walk = Files.walk(local)) {
            return walk.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
    }

    private static long pin(NodeControl node, VolumeFile file, ProgressBar bar, long before) throws Exception {
        var content = file.content();
        byte[] description = NodeSwarm.describe(content);
        while (true) {
            JsonNode state = node.call("pin " + content.id(), description);
            if (state.hasNonNull("error")) {
                throw new IOException("could not pin " + file.volumePath() + ": " + state.get("error").asText());
            }
            if (state.path("complete").asBoolean()) {
                bar.stepTo(before + content.length());
                return content.length();
            }
            long verified = (long) state.path("piecesVerified").asInt() * content.pieceLength();
            bar.stepTo(before + Math.min(verified, content.length()));
            Thread.sleep(POLL_MILLIS);
        }
    }
}
