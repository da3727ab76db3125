package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

import java.io.IOException;

/**
 * Brings a peer's head and the objects it needs into a repository of this node, e.g.
 * {@code repo -> ChannelFetcher.fetch(repo, peer, peerNodeId)}. Moving {@code main} is the store's job.
 */
@FunctionalInterface
public interface Fetch {

    /** @return the fetched commit */
    ObjectId into(Repository repository) throws IOException;
}
