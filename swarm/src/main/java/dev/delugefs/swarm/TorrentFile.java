package dev.delugefs.swarm;

import java.time.Instant;
import java.util.Map;

/**
 * A standard single-file {@code .torrent} for a content, rebuilt from its {@link ContentInfo} alone.
 * It has no announce URL: peers come from the volume's membership, or are given to the client by hand.
 */
public final class TorrentFile {
    static final String CREATED_BY = "DelugeFS";

    private TorrentFile() {
    }

    /** The .torrent bytes; its info-hash is {@code info.id()}. */
    public static byte[] encode(ContentInfo info) {
        return encode(info, Instant.now());
    }

    /** As {@link #encode(ContentInfo)}, with a fixed creation date so that every node produces the same bytes. */
    public static byte[] encode(ContentInfo info, Instant created) {
        return Bencode.encode(Map.of(
                "info", info.infoDictionary(),
                "created by", CREATED_BY,
                "creation date", created.getEpochSecond()));
    }
}
