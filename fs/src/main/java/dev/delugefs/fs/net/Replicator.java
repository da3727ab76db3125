package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ExecResult;
import dev.delugefs.discovery.Membership;
import dev.delugefs.discovery.PeerInfo;
import dev.delugefs.metadata.PeerDirectory;
import dev.delugefs.replication.RecentUse;
import dev.delugefs.replication.ReplicationPlanner;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keeps every content of the volume at its target of complete copies (DESIGN.md §9): in a jittered loop
 * it takes a census (this node's store and every peer's {@code inventory}), lets {@link ReplicationPlanner}
 * decide, and sends {@code please-mirror} and {@code please-stop-mirroring}. Only the holder with the
 * lowest node id acts on a content, so the nodes do not all ask at once.
 */
final class Replicator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    /** Mirror requests per round: each starts a transfer on the receiver. */
    private static final int MAX_MIRRORS_PER_ROUND = 16;

    private final String self;
    private final String hostId;
    private final PeerDirectory peers;
    private final Membership membership;
    private final NodeSwarm swarm;
    private final BlockStore blocks;
    private final IntSupplier target;
    private final LongSupplier freeBytes;
    private final Supplier<Map<String, ContentInfo>> contents;
    private final Duration interval;
    private final RecentUse recentUse;
    private final ScheduledExecutorService loop;
    private volatile Status status = new Status(null, 0, 0, 0, 0, 0);

    /** What the last round found, for {@code delugefs status}. */
    record Status(Instant at, int target, int contents, int underTarget, int overTarget, int unavailable) {
        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("lastRound", at == null ? "" : at.toString());
            map.put("target", target);
            map.put("contents", contents);
            map.put("underTarget", underTarget);
            map.put("overTarget", overTarget);
            map.put("unavailable", unavailable);
            return map;
        }
    }

    Replicator(String self, String hostId, PeerDirectory peers, Membership membership, NodeSwarm swarm,
               BlockStore blocks, IntSupplier target, LongSupplier freeBytes,
               Supplier<Map<String, ContentInfo>> contents, Duration interval, RecentUse recentUse) {
        this.self = self;
        this.hostId = hostId;
        this.peers = peers;
        this.membership = membership;
        this.swarm = swarm;
        this.blocks = blocks;
        this.target = target;
        this.freeBytes = freeBytes;
        this.contents = contents;
        this.interval = interval;
        this.recentUse = recentUse;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "replicator");
            t.setDaemon(true);
            return t;
        });
        this.loop = executor;
    }

    /** Starts the loop after {@code grace}: peers found in the first seconds would look like lost copies. */
    void start(Duration grace) {
        loop.schedule(this::roundAndReschedule, grace.toMillis(), TimeUnit.MILLISECONDS);
    }

    Status status() {
        Status last = status;
        // before the first round, the target is still worth telling
        return last.at() == null ? new Status(null, target.getAsInt(), 0, 0, 0, 0) : last;
    }

    private void roundAndReschedule() {
        try {
            round();
        } catch (IOException | RuntimeException e) {
            log.warn("replication round failed; trying again later: {}", e.toString());
        }
        // jittered, so that nodes started together do not ask each other in lockstep
        long millis = (long) (interval.toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
        if (!loop.isShutdown()) {
            loop.schedule(this::roundAndReschedule, millis, TimeUnit.MILLISECONDS);
        }
    }

    void round() throws IOException {
        Map<String, ContentInfo> volume = contents.get();
        Map<String, Long> lengths = new HashMap<>();
        volume.forEach((id, info) -> {
            if (info.length() > 0) {
                lengths.put(id, info.length());
            }
        });
        Map<String, Set<String>> holders = new HashMap<>();
        Map<String, Set<String>> recent = new HashMap<>();
        for (String id : blocks.stored().keySet()) {
            if (lengths.containsKey(id)) {
                holders.computeIfAbsent(id, k -> new HashSet<>()).add(self);
                if (recentUse.isRecent(id)) {
                    recent.computeIfAbsent(id, k -> new HashSet<>()).add(self);
                }
            }
        }
        Map<String, ReplicationPlanner.Peer> answered = new HashMap<>();
        Map<String, PeerDirectory.PeerLink> links = new HashMap<>();
        for (PeerDirectory.PeerLink link : peers.peers()) {
            PeerInfo info = membership.peer(link.nodeId()).orElse(null);
            Map<String, Boolean> inventory = inventory(link);
            if (info == null || inventory == null) {
                continue;  // a peer we cannot count: its copies do not count, and it is not asked
            }
            answered.put(link.nodeId(), new ReplicationPlanner.Peer(link.nodeId(), info.hostId(), info.freeBytes()));
            links.put(link.nodeId(), link);
            inventory.forEach((id, inRecentUse) -> {
                if (lengths.containsKey(id)) {
                    holders.computeIfAbsent(id, k -> new HashSet<>()).add(link.nodeId());
                    if (inRecentUse) {
                        recent.computeIfAbsent(id, k -> new HashSet<>()).add(link.nodeId());
                    }
                }
            });
        }
        int goal = target.getAsInt();
        ReplicationPlanner.Plan plan = ReplicationPlanner.plan(self,
                new ReplicationPlanner.Peer(self, hostId, freeBytes.getAsLong()), goal, lengths, holders, answered,
                recent);
        status = new Status(Instant.now(), goal, lengths.size(), plan.underTarget(), plan.overTarget(),
                plan.unavailable());
        int mirrors = 0;
        for (ReplicationPlanner.Task task : plan.tasks()) {
            ContentInfo content = volume.get(task.contentId());
            if (task instanceof ReplicationPlanner.Mirror mirror && mirrors++ < MAX_MIRRORS_PER_ROUND) {
                // one request for all the copies wanted: the target passes it on to the others in turn
                ask(links.get(mirror.target()), NodeSwarm.MIRROR, content, mirror.then());
            } else if (task instanceof ReplicationPlanner.Stop stop) {
                if (stop.holder().equals(self)) {
                    swarm.dropIfEnoughElsewhere(content);
                } else {
                    ask(links.get(stop.holder()), NodeSwarm.STOP_MIRRORING, content, List.of());
                }
            }
        }
    }

    /** The content ids a peer holds complete, each with whether it is in recent use there; null if it did not say. */
    private static Map<String, Boolean> inventory(PeerDirectory.PeerLink link) {
        try {
            ExecResult result = link.session().exec("inventory", new byte[0], ASK_TIMEOUT);
            if (!result.succeeded()) {
                return null;
            }
            Map<String, Boolean> ids = new HashMap<>();
            for (JsonNode entry : JSON.readTree(result.stdout())) {
                ids.put(entry.path("id").asText(), entry.path("recent").asBoolean(false));
            }
            return ids;
        } catch (IOException | RuntimeException e) {
            log.debug("no inventory from {}: {}", link.nodeId(), e.toString());
            return null;
        }
    }

    private static void ask(PeerDirectory.PeerLink link, String command, ContentInfo content, List<String> then) {
        if (link == null || content == null) {
            return;
        }
        try {
            String line = command + " " + content.id() + (then.isEmpty() ? "" : " " + String.join(" ", then));
            ExecResult result = link.session().exec(line, NodeSwarm.describe(content), ASK_TIMEOUT);
            if (result.succeeded()) {
                log.info("asked {} to {} {}: {}", link.nodeId(), command, content.id(), result.stdoutText().strip());
            } else {
                log.info("{} refused {} of {}: {}", link.nodeId(), command, content.id(), result.stderrText().strip());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not ask {} to {} {}: {}", link.nodeId(), command, content.id(), e.toString());
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
