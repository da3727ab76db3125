package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.DaemonThreads;
import dev.delugefs.discovery.internal.PeerSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The peers of the volume as the rest of the node sees them: every source (--peer addresses, member records,
 * mDNS, reverse links) merged by node id, and judged alive by us rather than by the sources (DESIGN §7). mDNS
 * takes a TTL to forget a killed node, so a failed connect ({@link #markDown}) or an unanswered periodic probe
 * takes a peer down at once; it is up again as soon as a probe answers or a source reports it anew.
 *
 * <p>A node may be reachable by several routes: the addresses one source names, or the reverse link another
 * reports. The route in use is the one of the first source, in the order given, that reports it and has not
 * failed a probe since it last said something new; when a probe fails on the route in use, the others are
 * tried before the peer counts as down. So a direct route wins when it works, and a node we cannot dial is
 * still reached through its link. What a peer says about its state (head, free space) is taken from whichever
 * source heard it last.
 */
public final class CompositeMembership implements Membership {
    private static final Logger LOG = LoggerFactory.getLogger(CompositeMembership.class);
    /** A route that failed a probe is tried again after this long, even if its source says nothing new. */
    private static final Duration RETRY_FAILED_ROUTE = Duration.ofSeconds(60);

    private final List<Membership> sources;
    private final PeerProbe probe;
    private final Clock clock;
    private final Map<String, Known> known = new HashMap<>();
    private final PeerSet visible;
    private final ExecutorService delivery;
    private final ScheduledExecutorService prober;

    /** One route to a node: what one source says, and whether a probe through it failed since. */
    private static final class Route {
        PeerInfo info;
        Instant failedAt;
    }

    /** What the sources say about one node, and our own verdict on it. */
    private static final class Known {
        final Map<Membership, Route> routes = new HashMap<>();
        Membership active;
        PeerInfo info;
        boolean down;
        boolean probing;
    }

    /** One node as this membership sees it, for people ({@code delugefs peers}). */
    public record Entry(PeerInfo info, boolean up, String route, List<String> learnedBy) {
        public Entry {
            learnedBy = List.copyOf(learnedBy);
        }
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
     * @param sources       in order of preference of their routes
     * @param probe         asked every {@code probeInterval} about every known peer; null for none (then only
     *                      {@link #markDown} and the sources take peers down)
     * @param probeInterval e.g. 5 s: a killed peer is down within about that long. The first round comes after
     *                      a random part of it, so nodes started together do not probe in step
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
            long first = ThreadLocalRandom.current().nextLong(millis / 2, millis + 1);
            prober.scheduleWithFixedDelay(membership::probeAll, first, millis, TimeUnit.MILLISECONDS);
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

    /** Every node known, up or down, with the route in use and the sources that know it. */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (Known k : known.values()) {
            List<String> by = new ArrayList<>();
            for (Membership source : sources) {
                if (k.routes.containsKey(source)) {
                    by.add(source.name());
                }
            }
            out.add(new Entry(k.info, !k.down, k.active == null ? "" : k.active.name(), by));
        }
        out.sort(java.util.Comparator.comparing(e -> e.info().nodeId()));
        return out;
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
        for (String target : startProbes()) {
            prober.execute(() -> probeOne(target));
        }
    }

    /** One probe round on the caller's thread, for tests. */
    void probeAllNow() {
        startProbes().forEach(this::probeOne);
    }

    private synchronized List<String> startProbes() {
        List<String> targets = new ArrayList<>();
        for (Map.Entry<String, Known> e : known.entrySet()) {
            if (!e.getValue().probing) {
                e.getValue().probing = true;
                targets.add(e.getKey());
            }
        }
        return targets;
    }

    /** Probes the route in use, then, if it failed, every other route in order of preference. */
    private void probeOne(String nodeId) {
        String problem = null;
        for (Membership source : routesToTry(nodeId)) {
            PeerInfo route;
            synchronized (this) {
                Known k = known.get(nodeId);
                Route r = k == null ? null : k.routes.get(source);
                if (r == null) {
                    continue;
                }
                route = k.info.withAddresses(r.info.addresses()).withBtPort(r.info.btPort());
            }
            try {
                PeerInfo answer = probe.probe(route);
                if (answered(nodeId, source, answer.seenAt(clock.instant()))) {
                    return;
                }
                problem = "it answered as node " + answer.shortId() + " of volume " + answer.volumeId();
            } catch (IOException | RuntimeException e) {
                problem = e.getMessage();
                routeFailed(nodeId, source);
            }
        }
        synchronized (this) {
            Known k = known.get(nodeId);
            if (k == null) {
                return;
            }
            k.probing = false;
            if (!k.down && problem != null) {
                LOG.info("peer {} did not answer: {}", k.info.shortId(), problem);
            }
        }
        markDown(nodeId);
    }

    private synchronized List<Membership> routesToTry(String nodeId) {
        Known k = known.get(nodeId);
        List<Membership> order = new ArrayList<>();
        if (k == null) {
            return order;
        }
        if (k.active != null && k.routes.containsKey(k.active)) {
            order.add(k.active);
        }
        Instant now = clock.instant();
        for (Membership source : sources) {
            Route r = k.routes.get(source);
            if (r != null && source != k.active && (r.failedAt == null
                    || !now.isBefore(r.failedAt.plus(RETRY_FAILED_ROUTE)) || k.down)) {
                order.add(source);
            }
        }
        return order;
    }

    private synchronized void routeFailed(String nodeId, Membership source) {
        Known k = known.get(nodeId);
        Route r = k == null ? null : k.routes.get(source);
        if (r != null) {
            r.failedAt = clock.instant();
        }
    }

    /** @return whether the answer is from the node we asked */
    private synchronized boolean answered(String nodeId, Membership source, PeerInfo answer) {
        Known k = known.get(nodeId);
        if (k == null) {
            return true;
        }
        Route r = k.routes.get(source);
        if (!answer.nodeId().equals(nodeId) || !answer.volumeId().equals(k.info.volumeId())) {
            LOG.warn("probe of {} answered as node {} of volume {}", k.info.shortId(), answer.shortId(),
                    answer.volumeId());
            if (r != null) {
                r.failedAt = clock.instant();
            }
            return false;
        }
        k.probing = false;
        if (r == null) {
            return true;
        }
        r.failedAt = null;
        if (k.active != source) {
            LOG.info("peer {} is reached through {} ({})", answer.shortId(), source.name(), r.info.addresses());
            k.active = source;
        }
        if (k.down) {
            LOG.info("peer {} is up again", answer.shortId());
        }
        k.down = false;
        k.info = answer.withAddresses(r.info.addresses()).withBtPort(r.info.btPort());
        visible.report(this, k.info);
        return true;
    }

    private synchronized void seen(Membership source, PeerInfo info) {
        Known k = known.computeIfAbsent(info.nodeId(), id -> new Known());
        Route r = k.routes.get(source);
        boolean newRoute = r == null || !r.info.addresses().equals(info.addresses())
                || r.info.btPort() != info.btPort();
        if (r == null) {
            r = new Route();
            k.routes.put(source, r);
        }
        r.info = info;
        if (newRoute) {
            r.failedAt = null;
        }
        if (k.active == null || k.down || (preferred(source, k.active) && r.failedAt == null)) {
            if (k.active != null && k.active != source && !k.down) {
                LOG.info("peer {} is reached through {} ({})", info.shortId(), source.name(), info.addresses());
            }
            k.active = source;
        }
        Route active = k.routes.get(k.active);
        k.info = info.withAddresses(active.info.addresses()).withBtPort(active.info.btPort());
        k.down = false;
        visible.report(this, k.info);
    }

    private boolean preferred(Membership a, Membership b) {
        return sources.indexOf(a) < sources.indexOf(b);
    }

    private synchronized void lost(Membership source, PeerInfo info) {
        Known k = known.get(info.nodeId());
        if (k == null || k.routes.remove(source) == null) {
            return;
        }
        if (k.routes.isEmpty()) {
            known.remove(info.nodeId());
            if (!k.down) {
                visible.withdraw(this, info.nodeId());
            }
            return;
        }
        if (k.active == source) {
            // the next route in order; a probe tells soon whether it works
            k.active = sources.stream().filter(k.routes::containsKey).findFirst().orElseThrow();
            Route next = k.routes.get(k.active);
            k.info = k.info.withAddresses(next.info.addresses()).withBtPort(next.info.btPort());
            LOG.info("peer {} is now reached through {} ({})", info.shortId(), k.active.name(),
                    next.info.addresses());
            if (!k.down) {
                visible.report(this, k.info);
            }
        }
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
