package dev.delugefs.metadata;

import dev.delugefs.discovery.PeerSession;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.TrackingRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Fetches a peer's {@code main} over the node's shared channel session: JGit's own fetch protocol, with
 * {@code git-upload-pack} run on an exec channel instead of a connection of its own (DESIGN §10).
 */
public final class ChannelFetcher {

    /** Seconds without progress after which a fetch gives up on a peer. */
    static final int TIMEOUT_SECONDS = 30;
    private static final Pattern NODE_ID = Pattern.compile("[0-9a-f]{32}");

    private ChannelFetcher() {
    }

    /** Where the head fetched from that peer is kept: {@code refs/remotes/<node id>/main}. */
    public static String trackingRef(String peerNodeId) {
        if (peerNodeId == null || !NODE_ID.matcher(peerNodeId).matches()) {
            throw new IllegalArgumentException("node id must be 32 lowercase hex digits: " + peerNodeId);
        }
        return "refs/remotes/" + peerNodeId + "/main";
    }

    /**
     * Fetches the peer's {@code refs/heads/main} into {@link #trackingRef} and returns the commit it names.
     * One fetch per peer and repository at a time: two would race for the tracking ref.
     */
    public static ObjectId fetch(Repository repo, PeerSession peer, String peerNodeId) throws IOException {
        String tracking = trackingRef(peerNodeId);
        URIish uri = new URIish().setScheme("ssh").setHost("peer-" + peerNodeId).setPath("/meta.git");
        try (Transport transport = Transport.open(repo, uri)) {
            if (!(transport instanceof SshTransport ssh)) {
                throw new IOException("JGit opened " + transport.getClass().getName() + " for " + uri);
            }
            ssh.setSshSessionFactory(new PeerSessionFactory(peer));
            transport.setTimeout(TIMEOUT_SECONDS);
            transport.setTagOpt(TagOpt.NO_TAGS);
            FetchResult result = transport.fetch(NullProgressMonitor.INSTANCE,
                    List.of(new RefSpec("+" + MetaRepo.MAIN + ":" + tracking)));
            TrackingRefUpdate update = result.getTrackingRefUpdate(tracking);
            if (update != null && failed(update.getResult())) {
                throw new IOException("fetched " + update.getNewObjectId().name() + " from " + peer
                        + " but could not update " + tracking + ": " + update.getResult());
            }
        }
        Ref ref = repo.exactRef(tracking);
        if (ref == null || ref.getObjectId() == null) {
            throw new IOException(peer + " has no " + MetaRepo.MAIN + " to fetch");
        }
        return ref.getObjectId();
    }

    private static boolean failed(RefUpdate.Result result) {
        return switch (result) {
            case LOCK_FAILURE, REJECTED, REJECTED_CURRENT_BRANCH, REJECTED_MISSING_OBJECT, REJECTED_OTHER_REASON,
                 IO_FAILURE -> true;
            default -> false;
        };
    }
}
