package dev.delugefs.metadata;

import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.transport.UploadPack;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Serves {@code git-upload-pack} over the channel, to our own fetches and to stock {@code git clone ssh://}
 * with a member's key. Any repository path is accepted: a node has exactly one. Only {@code HEAD} and
 * {@code refs/heads/*} are advertised, not the heads we fetched from other peers.
 */
public final class UploadPackCommand implements CommandHandler {

    public static final String NAME = "git-upload-pack";
    /** Seconds a silent client may hold one of the channel's shared command threads. */
    private static final int TIMEOUT_SECONDS = 60;

    private final NamespaceStore store;

    public UploadPackCommand(NamespaceStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        return store.withRepository(repository -> {
            try (UploadPack upload = new UploadPack(repository)) {
                upload.setTimeout(TIMEOUT_SECONDS);
                upload.setRefFilter(UploadPackCommand::ownHeads);
                String protocol = request.environment().get("GIT_PROTOCOL");
                if (protocol != null && !protocol.isBlank()) {
                    // what git sends as GIT_PROTOCOL is a colon-separated list, e.g. "version=2"
                    upload.setExtraParameters(Arrays.asList(protocol.split(":")));
                }
                upload.upload(request.stdin(), request.stdout(), request.stderr());
            }
            return 0;
        });
    }

    private static Map<String, Ref> ownHeads(Map<String, Ref> refs) {
        Map<String, Ref> kept = new LinkedHashMap<>();
        refs.forEach((name, ref) -> {
            if (name.equals(Constants.HEAD) || name.startsWith(Constants.R_HEADS)) {
                kept.put(name, ref);
            }
        });
        return kept;
    }
}
