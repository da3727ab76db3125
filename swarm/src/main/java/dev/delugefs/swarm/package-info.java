/**
 * The data plane: content-addressed storage of file bytes and the BitTorrent runtime ({@link dev.delugefs.swarm.SwarmRuntime})
 * that serves and fetches it.
 *
 * <p>Content is named by its BitTorrent v1 info-hash ({@link dev.delugefs.swarm.ContentInfo}), so equal
 * bytes are stored once and any node can rebuild the {@code .torrent} from a metadata record alone.
 * This package knows content ids, piece hashes and peers, never paths. Only the interfaces and value
 * types are public; the implementations are package-private and reached through static factories.
 */
package dev.delugefs.swarm;
