package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.Backoff;
import dev.delugefs.discovery.internal.DaemonThreads;
import dev.delugefs.discovery.internal.PeerSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Peers named by address ({@code --peer HOST:PORT}), for networks mDNS does not reach. Each address is asked
 * {@code hello} until it answers (backing off while it does not), then again every probe interval: the answer
 * says which node lives there, and a missing answer takes it down. Two addresses of one node make one peer.
 */
public final class StaticPeers implements Membership {
    private static final Logger LOG = LoggerFactory.getLogger(StaticPeers.class);

    private final String volumeId;
    private final String selfNodeId;
    private final Duration probeInterval;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService delivery = DaemonThreads.single("delugefs-static-events");
    private final PeerSet peers = new PeerSet(delivery);
    private final List<Target> targets = new ArrayList<>();
    private volatile boolean closed;

    private StaticPeers(Builder b) {
        this.volumeId = b.volumeId;
        this.selfNodeId = b.selfNodeId;
        this.probeInterval = b.probeInterval;
        this.timeout = b.timeout;
        this.scheduler = DaemonThreads.scheduled(Math.min(4, Math.max(1, b.addresses.size())),
                "delugefs-static-peers");
        for (HostPort address : b.addresses) {
            targets.add(new Target(address, b.dialer, new Backoff(b.minBackoff, b.maxBackoff)));
        }
    }

    public static Builder builder(String volumeId, String selfNodeId, PeerDialer dialer) {
        return new Builder(volumeId, selfNodeId, dialer);
    }

    @Override
    public Collection<PeerInfo> peers() {
        return peers.peers();
    }

    @Override
    public Optional<PeerInfo> peer(String nodeId) {
        return peers.peer(nodeId);
    }

    @Override
    public void addListener(MembershipListener listener) {
        peers.addListener(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        delivery.shutdown();
        targets.forEach(Target::close);
    }

    private void start() {
        targets.forEach(t -> scheduler.execute(t::poll));
    }

    /** One configured address and what we last learnt there. Runs on one scheduler thread at a time. */
    private final class Target {
        private final HostPort address;
        private final PeerDialer dialer;
        private final Backoff backoff;
        private PeerSession session;
        private String nodeId;
        private String lastProblem;

        Target(HostPort address, PeerDialer dialer, Backoff backoff) {
            this.address = address;
            this.dialer = dialer;
            this.backoff = backoff;
        }

        void poll() {
            if (closed) {
                return;
            }
            try {
                if (session == null) {
                    session = dialer.dial(address);
                }
                PeerInfo answer = Hello.ask(session, timeout);
                if (answered(answer)) {
                    schedule(probeInterval);
                }
            } catch (IOException | RuntimeException e) {
                unreachable(e);
            }
        }

        /** @return whether to keep asking at the normal rate */
        private boolean answered(PeerInfo answer) {
            if (answer.nodeId().equals(selfNodeId)) {
                LOG.info("--peer {} is this node itself; not asking it again", address);
                return false;
            }
            if (!answer.volumeId().equals(volumeId)) {
                // a member key that serves another volume: a mistyped --peer, not a peer
                unreachable(new IOException("it serves volume " + answer.volumeId()));
                return false;
            }
            if (nodeId != null && !nodeId.equals(answer.nodeId())) {
                peers.withdraw(this, nodeId);
            }
            if (nodeId == null || lastProblem != null) {
                LOG.info("static peer {} is node {}", address, answer.shortId());
            }
            nodeId = answer.nodeId();
            lastProblem = null;
            backoff.reset();
            peers.report(this, answer);
            return true;
        }

        private void unreachable(Exception e) {
            String problem = e.getMessage();
            if (!Objects.equals(problem, lastProblem)) {
                LOG.warn("static peer {} not reachable: {}", address, problem);
                lastProblem = problem;
            }
            if (nodeId != null) {
                peers.withdraw(this, nodeId);
                nodeId = null;
            }
            schedule(backoff.next());
        }

        private void schedule(Duration delay) {
            if (!closed) {
                try {
                    scheduler.schedule(this::poll, delay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closed meanwhile
                }
            }
        }

        void close() {
            PeerSession s = session;
            if (s != null) {
                s.close();
            }
        }

        @Override
        public String toString() {
            return "--peer " + address;
        }
    }

    public static final class Builder {
        private final String volumeId;
        private final String selfNodeId;
        private final PeerDialer dialer;
        private final List<HostPort> addresses = new ArrayList<>();
        private Duration probeInterval = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(5);
        private Duration minBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(30);

        private Builder(String volumeId, String selfNodeId, PeerDialer dialer) {
            this.volumeId = Objects.requireNonNull(volumeId, "volumeId");
            this.selfNodeId = Objects.requireNonNull(selfNodeId, "selfNodeId");
            this.dialer = Objects.requireNonNull(dialer, "dialer");
        }

        public Builder peers(Collection<HostPort> more) {
            addresses.addAll(more);
            return this;
        }

        public Builder peer(HostPort address) {
            addresses.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /** How often a peer that is up is asked again; a missed answer takes it down. */
        public Builder probeInterval(Duration interval) {
            this.probeInterval = positive(interval);
            return this;
        }

        public Builder timeout(Duration answerTimeout) {
            this.timeout = positive(answerTimeout);
            return this;
        }

        /** Delays between attempts while a peer is unreachable, doubling from min to max. */
        public Builder backoff(Duration min, Duration max) {
            this.minBackoff = positive(min);
            this.maxBackoff = positive(max);
            return this;
        }

        public StaticPeers start() {
            StaticPeers peers = new StaticPeers(this);
            peers.start();
            return peers;
        }

        private static Duration positive(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("duration must be positive: " + d);
            }
            return d;
        }
    }
}
