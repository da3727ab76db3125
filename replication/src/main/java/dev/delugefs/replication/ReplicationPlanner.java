package dev.delugefs.replication;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides, from a census of who holds which content complete, what this node should ask of its peers
 * (DESIGN.md §9). Pure: no I/O, so every node given the same census decides the same, and only one of
 * them acts on a content: the holder with the lowest node id.
 */
public final class ReplicationPlanner {

    /** A peer that is up, with what choosing it needs. {@code hostId} groups the disks of one machine. */
    public record Peer(String nodeId, String hostId, long freeBytes) {
    }

    /** What to do. */
    public sealed interface Task permits Mirror, Stop {
        String contentId();
    }

    /**
     * Ask {@code target} to fetch and keep a copy, and once it has one to pass the request on to
     * {@code then} (dfserve's chained replicate list): the data leaves this node once, not once per copy.
     */
    public record Mirror(String contentId, String target, List<String> then) implements Task {
        public Mirror {
            then = List.copyOf(then);
        }

        public Mirror(String contentId, String target) {
            this(contentId, target, List.of());
        }
    }

    /** Ask {@code holder} to drop its copy, after it has checked that enough others remain. */
    public record Stop(String contentId, String holder) implements Task {
    }

    /** The tasks, and how many contents are below and above the target. */
    public record Plan(List<Task> tasks, int underTarget, int overTarget, int unavailable) {
        public Plan {
            tasks = List.copyOf(tasks);
        }
    }

    private ReplicationPlanner() {
    }

    /** As below, with no copy in recent use. */
    public static Plan plan(String self, Peer selfPeer, int target, Map<String, Long> lengths,
                            Map<String, Set<String>> holders, Map<String, Peer> peers) {
        return plan(self, selfPeer, target, lengths, holders, peers, Map.of());
    }

    /**
     * @param self      this node
     * @param selfPeer  this node as a peer (its host and free space)
     * @param target    complete copies every content should have
     * @param lengths   every content the volume's records name, with its length
     * @param holders   for each content, the nodes known to hold it complete (this one included)
     * @param peers     the peers that are up and answered the census
     * @param recent    for each content, the holders that read or fetched it recently: their copies are not
     *                  dropped, so a content over target whose every copy is in use stays so for a while
     */
    public static Plan plan(String self, Peer selfPeer, int target, Map<String, Long> lengths,
                            Map<String, Set<String>> holders, Map<String, Peer> peers,
                            Map<String, Set<String>> recent) {
        List<Task> tasks = new ArrayList<>();
        int under = 0;
        int over = 0;
        int unavailable = 0;
        for (Map.Entry<String, Long> content : new java.util.TreeMap<>(lengths).entrySet()) {
            String id = content.getKey();
            Set<String> have = new TreeSet<>(holders.getOrDefault(id, Set.of()));
            have.retainAll(alive(self, peers));
            int count = have.size();
            if (count == 0) {
                unavailable++;
                continue;
            }
            if (count < target) {
                under++;
            } else if (count > target) {
                over++;
            }
            if (!self.equals(((TreeSet<String>) have).first())) {
                continue;  // another holder leads this content
            }
            if (count < target) {
                List<String> chosen = mirrorTargets(have, content.getValue(), target - count, selfPeer, peers)
                        .stream().map(Peer::nodeId).toList();
                if (!chosen.isEmpty()) {
                    tasks.add(new Mirror(id, chosen.get(0), chosen.subList(1, chosen.size())));
                }
            } else if (count > target) {
                Set<String> droppable = new TreeSet<>(have);
                droppable.removeAll(recent.getOrDefault(id, Set.of()));
                if (!droppable.isEmpty()) {
                    tasks.add(new Stop(id, holderToDrop(have, droppable, selfPeer, peers).nodeId()));
                }
            }
        }
        return new Plan(tasks, under, over, unavailable);
    }

    private static Set<String> alive(String self, Map<String, Peer> peers) {
        Set<String> alive = new HashSet<>(peers.keySet());
        alive.add(self);
        return alive;
    }

    /**
     * Peers without a copy and with room for it: first those on machines that hold no copy yet (two disks
     * of one machine fail together), then the emptiest.
     */
    static List<Peer> mirrorTargets(Set<String> holders, long length, int wanted, Peer selfPeer,
                                    Map<String, Peer> peers) {
        Set<String> hostsWithCopy = new HashSet<>();
        for (String holder : holders) {
            Peer p = holder.equals(selfPeer.nodeId()) ? selfPeer : peers.get(holder);
            if (p != null) {
                hostsWithCopy.add(p.hostId());
            }
        }
        List<Peer> candidates = new ArrayList<>();
        for (Peer peer : peers.values()) {
            if (!holders.contains(peer.nodeId()) && peer.freeBytes() > length) {
                candidates.add(peer);
            }
        }
        candidates.sort(Comparator.comparing((Peer p) -> hostsWithCopy.contains(p.hostId()))
                .thenComparing(Comparator.comparingLong(Peer::freeBytes).reversed())
                .thenComparing(Peer::nodeId));
        List<Peer> chosen = new ArrayList<>();
        // first one per machine that has no copy yet, then, if still short, the rest in order
        for (Peer peer : candidates) {
            if (chosen.size() < wanted && hostsWithCopy.add(peer.hostId())) {
                chosen.add(peer);
            }
        }
        for (Peer peer : candidates) {
            if (chosen.size() < wanted && !chosen.contains(peer)) {
                chosen.add(peer);
            }
        }
        return chosen;
    }

    /**
     * The copy to drop, among {@code droppable} of the {@code holders}: one on a machine holding another
     * copy if any, else on the fullest holder.
     */
    static Peer holderToDrop(Set<String> holders, Set<String> droppable, Peer selfPeer, Map<String, Peer> peers) {
        Map<String, Long> perHost = new java.util.HashMap<>();
        List<Peer> candidates = new ArrayList<>();
        for (String holder : holders) {
            Peer p = holder.equals(selfPeer.nodeId()) ? selfPeer : peers.get(holder);
            if (p != null) {
                perHost.merge(p.hostId(), 1L, Long::sum);
                if (droppable.contains(holder)) {
                    candidates.add(p);
                }
            }
        }
        candidates.sort(Comparator.comparing((Peer p) -> perHost.get(p.hostId()) == 1)
                .thenComparingLong(Peer::freeBytes)
                .thenComparing(Peer::nodeId));
        return candidates.get(0);
    }
}
