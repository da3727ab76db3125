package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import dev.delugefs.swarm.ContentInfo;
import dev.delugefs.swarm.ContentReader;

import java.io.IOException;

/**
 * How the Vfs reaches content that other nodes hold. The Vfs asks only when the block store does not
 * have the content complete. (Content sealed here is served when a peer asks for it; nothing to tell.)
 */
public interface ContentNetwork {

    /** A node on its own: content that is not stored here cannot be read. */
    ContentNetwork LOCAL_ONLY = new ContentNetwork() {
        @Override
        public ContentReader reader(ContentInfo content) throws IOException {
            throw notStored(content);
        }

        private FsException notStored(ContentInfo content) {
            return new FsException(Errno.EIO, "content " + content.id() + " is not stored on this node");
        }
    };

    /**
     * A reader that fetches the pieces each read covers before it returns; a read that cannot get them in
     * time fails with an {@link IOException} (EIO at the mount).
     */
    ContentReader reader(ContentInfo content) throws IOException;

    /**
     * A hint that {@code content} is likely read soon (the next file of a directory being read in order):
     * fetch it in the background if that is cheap. Never blocks, never fails.
     */
    default void prefetch(ContentInfo content) {
    }

    /**
     * A file of this content is being read here, from this node's copy or not: replication keeps this
     * node's copy a while rather than trim it.
     */
    default void reading(String contentId) {
    }
}
