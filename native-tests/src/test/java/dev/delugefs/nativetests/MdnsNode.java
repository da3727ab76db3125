package dev.delugefs.nativetests;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelClient;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CompositeMembership;
import dev.delugefs.discovery.Hello;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.MdnsDiscovery;
import dev.delugefs.discovery.MembershipListener;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerInfo;
import dev.delugefs.discovery.PeerSession;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A discovery-only node for {@link MdnsNamespaceNativeTest}: channel server with {@code hello}, mDNS
 * announce + browse, and the hello probe, as the real node wires them. It prints membership news on stdout
 * ({@code UP|CHANGED|DOWN node head ssh bt host free}) and reads commands on stdin ({@code head H}, {@code quit}).
 *
 * <p>Args: NODE_ID VOLUME_ID VOLUME_NAME BIND_IPV4 ROOT MEMBERS_FILE PROBE_MILLIS
 */
public final class MdnsNode {
    private MdnsNode() {
    }

    public static void main(String[] args) throws Exception {
        String nodeId = args[0];
        String volumeId = args[1];
        String volumeName = args[2];
        InetAddress bind = InetAddress.getByName(args[3]);
        Path root = Path.of(args[4]);
        List<String> memberLines = Files.readAllLines(Path.of(args[5])).stream().filter(l -> !l.isBlank()).toList();
        Duration probe = Duration.ofMillis(Long.parseLong(args[6]));
        AuthorizedKeys members = () -> memberLines;

        NodeKeys keys = NodeKeys.loadOrCreate(root, nodeId);
        ChannelServer server = ChannelServer.builder(keys).listen(new HostPort(args[3], 0))
                .authorizedKeys(members).start();
        AtomicReference<String> head = new AtomicReference<>("h0");
        PeerInfo self = new PeerInfo(nodeId, volumeId, List.of(server.address()), 6881, "host-" + nodeId, head.get(),
                1_000_000, Instant.now());
        Hello.register(server, () -> self.withState(head.get(), 1_000_000).seenAt(Instant.now()));

        ChannelClient client = ChannelClient.start(keys, Duration.ofSeconds(5), Duration.ofSeconds(5));
        Map<String, PeerSession> sessions = new ConcurrentHashMap<>();
        MdnsDiscovery mdns = MdnsDiscovery.start(bind, volumeName, self);
        CompositeMembership membership = CompositeMembership.start(List.of(mdns),
                Hello.probe(peer -> sessions.computeIfAbsent(peer.nodeId() + peer.addresses(),
                        key -> client.anyMember(members, peer.addresses())), Duration.ofSeconds(5)), probe);
        membership.addListener(new MembershipListener() {
            @Override
            public void peerUp(PeerInfo peer) {
                print("UP", peer);
            }

            @Override
            public void peerChanged(PeerInfo peer) {
                print("CHANGED", peer);
            }

            @Override
            public void peerDown(PeerInfo peer) {
                print("DOWN", peer);
            }
        });
        say("READY " + nodeId + " " + server.address());

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
            if (line.startsWith("head ")) {
                head.set(line.substring(5).strip());
                mdns.update(head.get(), 1_000_000);
            }
        }
        membership.close();
        mdns.closeAsync().get(10, TimeUnit.SECONDS);
        client.close();
        server.close();
        say("BYE");
    }

    private static void print(String what, PeerInfo p) {
        say(what + " " + p.nodeId() + " " + p.head() + " " + p.addresses().get(0) + " " + p.btPort() + " "
                + p.hostId() + " " + p.freeBytes());
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
