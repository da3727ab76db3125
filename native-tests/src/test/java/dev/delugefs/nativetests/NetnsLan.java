package dev.delugefs.nativetests;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A simulated LAN (DESIGN §11): a bridge in a namespace of its own and one namespace per node, each with a
 * veth on the bridge, multicast on and a route for 224.0.0.0/4, so mDNS flows between nodes and nowhere else.
 * Names and the /24 are random per run, so parallel runs do not collide. close() deletes every namespace,
 * which takes the veths with it; a shutdown hook does the same if the JVM ends first.
 *
 * <p>Processes started in a namespace are the caller's: deleting a namespace does not stop them.
 */
final class NetnsLan implements AutoCloseable {
    private static final Set<NetnsLan> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(NetnsLan::close), "netns-cleanup"));
    }

    private final String tag;
    private final String subnet;
    private final List<String> created = new ArrayList<>();
    private final int nodes;

    private NetnsLan(String tag, String subnet, int nodes) {
        this.tag = tag;
        this.subnet = subnet;
        this.nodes = nodes;
    }

    /** Whether this machine lets us build one: root, iproute2 and namespaces. */
    static String unavailableReason() {
        Cmd.Result r = Cmd.of("ip", "netns", "list").run();
        if (r.exit() != 0) {
            return "cannot use network namespaces here: " + Cmd.tail(r.stderrBytes());
        }
        return null;
    }

    static NetnsLan create(int nodes) {
        SecureRandom random = new SecureRandom();
        byte[] bytes = new byte[3];
        random.nextBytes(bytes);
        // veth names are at most 15 bytes: "dfs" + 6 hex + "v" + index stays well under
        String tag = "dfs" + HexFormat.of().formatHex(bytes);
        String subnet = "10." + (100 + random.nextInt(150)) + "." + random.nextInt(256);
        NetnsLan lan = new NetnsLan(tag, subnet, nodes);
        OPEN.add(lan);
        try {
            lan.build();
            return lan;
        } catch (RuntimeException | Error e) {
            lan.close();
            throw e;
        }
    }

    private void build() {
        String bridgeNs = tag + "-lan";
        addNamespace(bridgeNs);
        ip("-n", bridgeNs, "link", "add", "br0", "type", "bridge");
        // snooping would drop mDNS until some host sent an IGMP join, which jmDNS does not always do at once
        ip("-n", bridgeNs, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0");
        ip("-n", bridgeNs, "link", "set", "br0", "up");
        for (int i = 1; i <= nodes; i++) {
            String ns = namespace(i);
            String veth = tag + "v" + i;
            addNamespace(ns);
            ip("-n", bridgeNs, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
            ip("-n", bridgeNs, "link", "set", veth, "master", "br0", "up");
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
            ip("-n", ns, "link", "set", "eth0", "multicast", "on", "up");
            ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
        }
    }

    private void addNamespace(String name) {
        ip("netns", "add", name);
        created.add(name);
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Cmd.of(cmd).ok();
    }

    /** Node namespaces are numbered from 1. */
    String namespace(int node) {
        return tag + "-n" + node;
    }

    String address(int node) {
        return subnet + "." + (10 + node);
    }

    /**
     * Pulls node's cable: its eth0 goes down, which also drops every route through it (the multicast one
     * included), so connections to and from the rest of the LAN fail while its own address still answers it.
     */
    void cut(int node) {
        ip("-n", ownNamespace(node), "link", "set", "eth0", "down");
    }

    /** Plugs the cable back in: eth0 up (the kernel restores the subnet's route) and the multicast route again. */
    void heal(int node) {
        String ns = ownNamespace(node);
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "route", "replace", "224.0.0.0/4", "dev", "eth0");
    }

    /**
     * Puts the node behind a NAT, as far as the others can tell: its namespace drops every connection that
     * comes in over the LAN (packets of connections it opened itself still pass), while connections to its
     * own address from inside the namespace (over lo: the CLI, ssh to itself) still work. The rule lives in
     * the node's namespace only and goes with it.
     */
    void dropInboundConnections(int node) {
        Cmd.of(inNamespace(node, List.of("iptables", "-w", "-A", "INPUT", "-i", "eth0", "-m", "state", "--state",
                "NEW", "-j", "DROP"))).ok();
    }

    /** How many packets the rule of {@link #dropInboundConnections} dropped so far, or -1 if it cannot tell. */
    long droppedInbound(int node) {
        Cmd.Result r = Cmd.of(inNamespace(node, List.of("iptables", "-w", "-L", "INPUT", "-v", "-n", "-x"))).run();
        for (String line : r.lines()) {
            String[] f = line.strip().split("\\s+");
            if (f.length > 2 && f[2].equals("DROP")) {
                return Long.parseLong(f[0]);
            }
        }
        return -1;
    }

    /** Whether iptables, which {@link #dropInboundConnections} needs, is installed. */
    static boolean hasIptables() {
        return Cmd.of("sh", "-c", "command -v iptables").run().exit() == 0;
    }

    /** A node's namespace, refusing any this LAN did not create: nothing here may touch another namespace. */
    private synchronized String ownNamespace(int node) {
        String ns = namespace(node);
        if (!created.contains(ns)) {
            throw new IllegalStateException(ns + " is not a namespace of " + this);
        }
        return ns;
    }

    /** The command run inside the node's namespace. */
    List<String> inNamespace(int node, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ownNamespace(node)));
        cmd.addAll(command);
        return cmd;
    }

    @Override
    public synchronized void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            Cmd.of("ip", "netns", "del", created.get(i)).run();
        }
        created.clear();
        OPEN.remove(this);
    }

    @Override
    public String toString() {
        return "lan " + tag + " " + subnet + ".0/24";
    }
}
