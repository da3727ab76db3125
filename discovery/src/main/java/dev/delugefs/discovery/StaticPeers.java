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
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Peers named by address ({@code --peer HOST:PORT}, or the addresses in the members' records), for networks
 * mDNS does not reach. Each address is asked {@code hello} until it answers (backing off while it does not),
 * then again every probe interval: the answer says which node lives there, and a missing answer takes it down.
 * Two addresses of one node make one peer. The set of addresses may change while it runs ({@link #replace}).
 *
 * <p>An answer whose node id is not that of the host key that answered is refused: a member cannot pose as
 * another.
 */
public final class StaticPeers implements Membership {
    private static final Logger LOG = LoggerFactory.getLogger(StaticPeers.class);

    private final String volumeId;
    private final String selfNodeId;
    private final Duration probeInterval;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService delivery;
    private final PeerSet peers;
    private final Map<HostPort, Target> targets = new ConcurrentHashMap<>();
    private final String name;
    private final PeerDialer dialer;
    private final Function<String, Optional<String>> nodeOfKey;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private volatile boolean closed;

    private StaticPeers(Builder b) {
        this.volumeId = b.volumeId;
        this.selfNodeId = b.selfNodeId;
        this.probeInterval = b.probeInterval;
        this.timeout = b.timeout;
        this.name = b.name;
        this.dialer = b.dialer;
        this.nodeOfKey = b.nodeOfKey;
        this.minBackoff = b.minBackoff;
        this.maxBackoff = b.maxBackoff;
        this.delivery = DaemonThreads.single("delugefs-" + name + "-events");
        this.peers = new PeerSet(delivery);
        int threads = b.threads > 0 ? b.threads : Math.min(4, Math.max(1, b.addresses.size()));
        this.scheduler = DaemonThreads.scheduled(threads, "delugefs-" + name + "-peers");
        for (HostPort address : b.addresses) {
            targets.putIfAbsent(address, new Target(address, dialer, new Backoff(minBackoff, maxBackoff)));
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The addresses asked now. */
    public Set<HostPort> addresses() {
        return Set.copyOf(targets.keySet());
    }

    /**
     * Asks exactly {@code addresses} from now on: new ones at once, and the peers found only at dropped ones
     * go down.
     */
    public synchronized void replace(Collection<HostPort> addresses) {
        if (closed) {
            return;
        }
        Set<HostPort> wanted = Set.copyOf(addresses);
        for (Iterator<Map.Entry<HostPort, Target>> it = targets.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<HostPort, Target> e = it.next();
            if (!wanted.contains(e.getKey())) {
                it.remove();
                e.getValue().retire();
            }
        }
        for (HostPort address : wanted) {
            if (!targets.containsKey(address)) {
                Target t = new Target(address, dialer, new Backoff(minBackoff, maxBackoff));
                targets.put(address, t);
                t.schedule(Duration.ofMillis(ThreadLocalRandom.current().nextLong(50, 500)));
            }
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
        targets.values().forEach(Target::close);
    }

    private void start() {
        targets.values().forEach(t -> scheduler.execute(t::poll));
    }

    /** One configured address and what we last learnt there. Runs on one scheduler thread at a time. */
    private final class Target {
        private final HostPort address;
        private final PeerDialer dialer;
        private final Backoff backoff;
        private PeerSession session;
        private volatile String nodeId;
        private String lastProblem;
        private volatile boolean retired;

        Target(HostPort address, PeerDialer dialer, Backoff backoff) {
            this.address = address;
            this.dialer = dialer;
            this.backoff = backoff;
        }

        void poll() {
            if (closed || retired) {
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
            if (nodeOfKey != null) {
                Optional<String> owner = nodeOfKey.apply(session.hostKeyFingerprint());
                if (owner.isEmpty() || !owner.get().equals(answer.nodeId())) {
                    LOG.warn("{} answered as node {} with the host key of node {}; refused", this,
                            answer.shortId(), owner.orElse("(none)"));
                    unreachable(new IOException("it claims to be node " + answer.nodeId()
                            + " with another member's key"));
                    return false;
                }
            }
            if (nodeId != null && !nodeId.equals(answer.nodeId())) {
                peers.withdraw(this, nodeId);
            }
            if (nodeId == null || lastProblem != null) {
                LOG.info("static peer {} is node {}", address, answer.shortId());
            }
            if (retired) {
                return false;
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
            if (!closed && !retired) {
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

        /** No longer asked: what it found goes down. */
        void retire() {
            retired = true;
            close();
            String found = nodeId;
            if (found != null) {
                peers.withdraw(this, found);
            }
        }

        @Override
        public String toString() {
            return name.equals("peer") ? "--peer " + address : name + " address " + address;
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
        private String name = "peer";
        private int threads;
        private Function<String, Optional<String>> nodeOfKey;

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

        /** How peers are learned here, for logs and {@code delugefs peers}; "peer" by default. */
        public Builder name(String sourceName) {
            this.name = Objects.requireNonNull(sourceName, "sourceName");
            return this;
        }

        /** Threads asking addresses; by default one per address up to four, fixed at start. */
        public Builder threads(int count) {
            this.threads = Math.max(1, count);
            return this;
        }

        /** The member node id of a host key fingerprint: answers from a key of another node are refused. */
        public Builder identities(Function<String, Optional<String>> keyOwner) {
            this.nodeOfKey = Objects.requireNonNull(keyOwner, "keyOwner");
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
