package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.DaemonThreads;
import dev.delugefs.discovery.internal.PeerSet;
import dev.delugefs.discovery.internal.TxtCodec;
import dev.delugefs.discovery.internal.TxtCodec.Decoded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.jmdns.JmDNS;
import javax.jmdns.ServiceEvent;
import javax.jmdns.ServiceInfo;
import javax.jmdns.ServiceListener;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Announces this node on the LAN and finds the other nodes of its volume (DESIGN §7), with jmDNS bound to
 * one IPv4 address: bound to nothing in particular, jmDNS picked an IPv6 link-local address and nobody saw it.
 */
public final class MdnsDiscovery implements Membership {
    public static final String SERVICE_TYPE = "_delugefs._tcp.local.";
    private static final Logger LOG = LoggerFactory.getLogger(MdnsDiscovery.class);
    private static final long RESOLVE_WAIT_MILLIS = 1;

    private final JmDNS jmdns;
    private final InetAddress bound;
    private final ServiceInfo announced;
    private final PeerSet peers;
    private final ExecutorService delivery;
    private final ExecutorService resolver = DaemonThreads.single("delugefs-mdns-resolve");
    private final Map<String, String> nodeByInstance = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile PeerInfo self;
    private volatile CompletableFuture<Void> closing;

    private MdnsDiscovery(JmDNS jmdns, InetAddress bound, ServiceInfo announced, PeerInfo self, Clock clock) {
        this.jmdns = jmdns;
        this.bound = bound;
        this.announced = announced;
        this.self = self;
        this.clock = clock;
        this.delivery = DaemonThreads.single("delugefs-mdns-events");
        this.peers = new PeerSet(delivery);
    }

    /**
     * @param bind       the IPv4 address of the interface to announce and browse on ({@code --bind})
     * @param volumeName used only for the instance name people see in {@code avahi-browse}
     * @param self       what to announce: its addresses are the {@code --advertise} list when one is given, else
     *                   the listen address, whose wildcard host is announced as {@code bind}
     */
    public static MdnsDiscovery start(InetAddress bind, String volumeName, PeerInfo self) throws IOException {
        if (!(bind instanceof Inet4Address)) {
            throw new IllegalArgumentException("mDNS needs an IPv4 address to bind, got " + bind);
        }
        if (self.addresses().isEmpty()) {
            throw new IllegalArgumentException("nothing to announce: node " + self.shortId() + " has no address");
        }
        // peers see the service about 4 s after this: until its host name is announced, jmDNS probes once a
        // second (Prober.start) instead of every 250 ms
        JmDNS jmdns = JmDNS.create(bind, "delugefs-" + self.shortId());
        try {
            ServiceInfo info = ServiceInfo.create(SERVICE_TYPE, instanceName(volumeName, self),
                    self.addresses().get(0).port(), 0, 0, TxtCodec.encode(self, bind));
            MdnsDiscovery discovery = new MdnsDiscovery(jmdns, bind, info, self, Clock.systemUTC());
            jmdns.addServiceListener(SERVICE_TYPE, discovery.new Browser());
            jmdns.registerService(info);
            LOG.info("announcing {} on {} as '{}'", self.shortId(), bind.getHostAddress(), info.getName());
            return discovery;
        } catch (IOException | RuntimeException e) {
            closeQuietly(jmdns);
            throw e;
        }
    }

    static String instanceName(String volumeName, PeerInfo self) {
        // a DNS label holds 63 bytes; the node part must survive, or two nodes of a long name would clash
        String volume = volumeName.length() > 40 ? volumeName.substring(0, 40) : volumeName;
        return volume + "-" + self.shortId();
    }

    /** New head and free space, in the TXT record peers see about a second later. */
    public synchronized void update(String head, long freeBytes) {
        if (closing != null) {
            return;
        }
        self = self.withState(head, freeBytes);
        announced.setText(TxtCodec.encode(self, bound));
    }

    @Override
    public String name() {
        return "mdns";
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

    /** Returns at once; jmDNS says goodbye and stops (about two seconds) on a thread of its own. */
    @Override
    public void close() {
        closeAsync();
    }

    /** Completes when jmDNS has said goodbye, for a shutdown that wants peers to hear it. */
    public synchronized CompletableFuture<Void> closeAsync() {
        if (closing == null) {
            closing = CompletableFuture.runAsync(() -> {
                jmdns.unregisterAllServices();
                closeQuietly(jmdns);
                resolver.shutdownNow();
                delivery.shutdown();
            }, r -> {
                Thread t = new Thread(r, "delugefs-mdns-close");
                t.setDaemon(true);
                t.start();
            });
        }
        return closing;
    }

    private static void closeQuietly(JmDNS jmdns) {
        try {
            jmdns.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing jmDNS failed", e);
        }
    }

    private boolean isClosing() {
        return closing != null;
    }

    /** jmDNS reports on its own threads; everything here is quick and hands news to the event thread. */
    private final class Browser implements ServiceListener {
        /**
         * requestServiceInfo waits for the answer (up to 6 s by default) and jmDNS calls listeners on one
         * thread: asked here, one slow answer would hold up every other service's news. The answer arrives as
         * serviceResolved anyway, so ask on our own thread and barely wait.
         */
        @Override
        public void serviceAdded(ServiceEvent event) {
            if (isClosing()) {
                return;
            }
            try {
                resolver.execute(() -> jmdns.requestServiceInfo(event.getType(), event.getName(), RESOLVE_WAIT_MILLIS));
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        @Override
        public void serviceResolved(ServiceEvent event) {
            if (isClosing()) {
                return;
            }
            ServiceInfo info = event.getInfo();
            Decoded decoded = TxtCodec.decode(txtOf(info), List.of(info.getInet4Addresses()),
                    self.volumeId(), self.nodeId(), clock.instant());
            String instance = event.getName();
            switch (decoded.verdict()) {
                case ACCEPTED -> accept(instance, decoded.peer());
                case INCOMPLETE, NO_IPV4 -> LOG.debug("'{}' not complete yet: {}", instance, decoded.detail());
                case SELF, OTHER_VOLUME -> forget(instance);
                default -> {
                    LOG.warn("ignoring mDNS service '{}': {} ({})", instance, decoded.verdict(), decoded.detail());
                    forget(instance);
                }
            }
        }

        @Override
        public void serviceRemoved(ServiceEvent event) {
            forget(event.getName());
        }

        private void accept(String instance, PeerInfo peer) {
            String before = nodeByInstance.put(instance, peer.nodeId());
            if (before != null && !before.equals(peer.nodeId())) {
                peers.withdraw(instance, before);
            }
            peers.report(instance, peer);
        }

        private void forget(String instance) {
            String nodeId = nodeByInstance.remove(instance);
            if (nodeId != null) {
                peers.withdraw(instance, nodeId);
            }
        }

        private Map<String, String> txtOf(ServiceInfo info) {
            Map<String, String> txt = new HashMap<>();
            Enumeration<String> names = info.getPropertyNames();
            while (names.hasMoreElements()) {
                String name = names.nextElement();
                String value = info.getPropertyString(name);
                txt.put(name, value == null ? "" : value);
            }
            return txt;
        }
    }
}
