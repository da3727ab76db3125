package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.DaemonThreads;
import dev.delugefs.discovery.internal.PeerSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The peers of the volume as the rest of the node sees them: every source (mDNS, static peers) merged by
 * node id, and judged alive by us rather than by the sources (DESIGN §7). mDNS takes a TTL to forget a
 * killed node, so a failed connect ({@link #markDown}) or an unanswered periodic probe takes a peer down
 * at once; it is up again as soon as a probe answers or a source reports it anew.
 */
public final class CompositeMembership implements Membership {
    private static final Logger LOG = LoggerFactory.getLogger(CompositeMembership.class);

    private final List<Membership> sources;
    private final PeerProbe probe;
    private final Clock clock;
    private final Map<String, Known> known = new HashMap<>();
    private final PeerSet visible;
    private final ExecutorService delivery;
    private final ScheduledExecutorService prober;

    /** What the sources say about one node, and our own verdict on it. */
    private static final class Known {
        PeerInfo info;
        final Set<Membership> reportedBy = new HashSet<>();
        boolean down;
        boolean probing;
    }

    CompositeMembership(List<Membership> sources, PeerProbe probe, Clock clock, Executor delivery,
                        ExecutorService ownDelivery, ScheduledExecutorService prober) {
        this.sources = List.copyOf(sources);
        this.probe = probe;
        this.clock = clock;
        this.visible = new PeerSet(delivery);
        this.delivery = ownDelivery;
        this.prober = prober;
    }

    /**
     * @param probe         asked every {@code probeInterval} about every known peer; null for none (then only
     *                      {@link #markDown} and the sources take peers down)
     * @param probeInterval e.g. 5 s: a killed peer is down within about that long
     */
    public static CompositeMembership start(List<Membership> sources, PeerProbe probe, Duration probeInterval) {
        ExecutorService events = DaemonThreads.single("delugefs-membership-events");
        ScheduledExecutorService prober = probe == null ? null
                : DaemonThreads.scheduled(2, "delugefs-membership-probe");
        CompositeMembership membership = new CompositeMembership(sources, probe, Clock.systemUTC(), events, events,
                prober);
        membership.subscribe();
        if (prober != null) {
            long millis = probeInterval.toMillis();
            prober.scheduleWithFixedDelay(membership::probeAll, millis, millis, TimeUnit.MILLISECONDS);
        }
        return membership;
    }

    void subscribe() {
        sources.forEach(source -> source.addListener(new SourceListener(source)));
    }

    @Override
    public Collection<PeerInfo> peers() {
        return visible.peers();
    }

    @Override
    public Optional<PeerInfo> peer(String nodeId) {
        return visible.peer(nodeId);
    }

    @Override
    public void addListener(MembershipListener listener) {
        visible.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The channel layer could not reach the peer (connect failed, heartbeat expired). It stays known, so the
     * probe keeps asking, and comes back up when it answers.
     */
    public synchronized void markDown(String nodeId) {
        Known k = known.get(nodeId);
        if (k == null || k.down) {
            return;
        }
        k.down = true;
        LOG.info("peer {} is down", k.info.shortId());
        visible.withdraw(this, nodeId);
    }

    /** One probe round, each peer on the prober's threads; a peer whose last probe still runs is skipped. */
    void probeAll() {
        for (PeerInfo target : startProbes()) {
            prober.execute(() -> probeOne(target));
        }
    }

    /** One probe round on the caller's thread, for tests. */
    void probeAllNow() {
        startProbes().forEach(this::probeOne);
    }

    private synchronized List<PeerInfo> startProbes() {
        List<PeerInfo> targets = new ArrayList<>();
        for (Known k : known.values()) {
            if (!k.probing) {
                k.probing = true;
                targets.add(k.info);
            }
        }
        return targets;
    }

    private void probeOne(PeerInfo target) {
        try {
            PeerInfo answer = probe.probe(target);
            answered(target.nodeId(), answer.seenAt(clock.instant()));
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                Known k = known.get(target.nodeId());
                if (k != null) {
                    k.probing = false;
                    if (!k.down) {
                        LOG.info("peer {} did not answer: {}", target.shortId(), e.getMessage());
                    }
                }
            }
            markDown(target.nodeId());
        }
    }

    private synchronized void answered(String nodeId, PeerInfo answer) {
        Known k = known.get(nodeId);
        if (k == null) {
            return;
        }
        k.probing = false;
        if (!answer.nodeId().equals(nodeId) || !answer.volumeId().equals(k.info.volumeId())) {
            LOG.warn("probe of {} answered as node {} of volume {}", k.info.shortId(), answer.shortId(),
                    answer.volumeId());
            markDown(nodeId);
            return;
        }
        if (k.down) {
            LOG.info("peer {} is up again", answer.shortId());
        }
        k.down = false;
        k.info = answer;
        visible.report(this, answer);
    }

    private synchronized void seen(Membership source, PeerInfo info) {
        Known k = known.computeIfAbsent(info.nodeId(), id -> new Known());
        k.reportedBy.add(source);
        k.info = info;
        k.down = false;
        visible.report(this, info);
    }

    private synchronized void lost(Membership source, PeerInfo info) {
        Known k = known.get(info.nodeId());
        if (k == null || !k.reportedBy.remove(source) || !k.reportedBy.isEmpty()) {
            return;
        }
        known.remove(info.nodeId());
        visible.withdraw(this, info.nodeId());
    }

    @Override
    public void close() {
        if (prober != null) {
            prober.shutdownNow();
        }
        sources.forEach(Membership::close);
        if (delivery != null) {
            delivery.shutdown();
        }
    }

    private final class SourceListener implements MembershipListener {
        private final Membership source;

        SourceListener(Membership source) {
            this.source = source;
        }

        @Override
        public void peerUp(PeerInfo peer) {
            seen(source, peer);
        }

        @Override
        public void peerChanged(PeerInfo peer) {
            seen(source, peer);
        }

        @Override
        public void peerDown(PeerInfo peer) {
            lost(source, peer);
        }
    }
}
