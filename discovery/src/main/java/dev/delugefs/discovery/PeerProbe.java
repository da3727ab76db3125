package dev.delugefs.discovery;

import java.io.IOException;

/** Asks a peer how it is; a peer that cannot answer is down. */
@FunctionalInterface
public interface PeerProbe {

    /** @return what the peer says about itself now */
    PeerInfo probe(PeerInfo known) throws IOException;
}
