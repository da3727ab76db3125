package dev.delugefs.fs.cli;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.fs.net.NodeNetwork;
import dev.delugefs.fs.node.Node;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Options of a running node, shared by create and mount (DESIGN.md §1 names them; keep them stable). */
final class NodeOptions {
    /** Set to "off" to make --no-mdns the default, e.g. in test environments that must not multicast. */
    static final String MDNS_ENV = "DELUGEFS_MDNS";

    @Option(names = "--gc-retention", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long content no file refers to any more is kept before its space is reclaimed "
                    + "(default: ${DEFAULT-VALUE}).")
    long gcRetentionSeconds;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address of the authenticated channel (default: all interfaces, the port chosen at "
                    + "create and kept).")
    String listen;

    @Option(names = "--peer", paramLabel = "HOST:PORT",
            description = "A member to reach without mDNS, e.g. beyond the LAN; repeatable.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "IPv4 address mDNS runs on.")
    String bind;

    @Option(names = "--advertise", paramLabel = "HOST:PORT",
            description = "Channel address to tell peers instead of the listen address; repeatable.")
    List<String> advertise = new ArrayList<>();

    @Option(names = "--no-mdns", description = "Do not announce or look for peers by mDNS.")
    boolean noMdns;

    @Option(names = "--bt-port", paramLabel = "PORT",
            description = "BitTorrent port (default: the one used last time, else a free one; kept in channel.json).")
    Integer btPort;

    @Option(names = "--max-storage", paramLabel = "SIZE",
            description = "Most this node stores, e.g. 500M or 20G (default: as much as the disk has). Writes "
                    + "beyond it get ENOSPC, and replication never chooses a node at its limit.")
    String maxStorage;

    @Option(names = "--read-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a read of data held by other nodes may wait before it fails with EIO "
                    + "(default: ${DEFAULT-VALUE}).")
    long readTimeoutSeconds;

    @Option(names = "--keep-recent", paramLabel = "SECONDS", defaultValue = "600",
            description = "A copy read or fetched on this node within this time is not dropped when a file has "
                    + "more copies than the replication target (default: ${DEFAULT-VALUE}).")
    long keepRecentSeconds;

    @Option(names = "--scrub-interval", paramLabel = "SECONDS", defaultValue = "604800",
            description = "How often this node re-reads all its copies in the background to find damage on its "
                    + "disk (default: ${DEFAULT-VALUE}, a week; 0: never; delugefs scrub runs a pass at once).")
    long scrubIntervalSeconds;

    Node.Options toOptions() {
        if (gcRetentionSeconds < 0) {
            throw new IllegalArgumentException("--gc-retention must not be negative: " + gcRetentionSeconds);
        }
        InetAddress bindAddress = null;
        if (bind != null) {
            try {
                bindAddress = InetAddress.getByName(bind);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("--bind: unknown address " + bind);
            }
            if (!(bindAddress instanceof java.net.Inet4Address)) {
                throw new IllegalArgumentException("--bind needs an IPv4 address (mDNS on IPv6 was invisible): " + bind);
            }
        }
        if (readTimeoutSeconds <= 0) {
            throw new IllegalArgumentException("--read-timeout must be positive: " + readTimeoutSeconds);
        }
        if (scrubIntervalSeconds < 0) {
            throw new IllegalArgumentException("--scrub-interval must not be negative: " + scrubIntervalSeconds);
        }
        if (keepRecentSeconds < 0) {
            throw new IllegalArgumentException("--keep-recent must not be negative: " + keepRecentSeconds);
        }
        if (btPort != null && (btPort < 0 || btPort > 65535)) {
            throw new IllegalArgumentException("--bt-port must be 0..65535: " + btPort);
        }
        boolean mdns = !noMdns && !"off".equalsIgnoreCase(System.getenv(MDNS_ENV));
        NodeNetwork.Settings network = new NodeNetwork.Settings(
                listen == null ? null : HostPort.parse(listen),
                peers.stream().map(HostPort::parse).toList(),
                bindAddress,
                advertise.stream().map(HostPort::parse).toList(),
                mdns,
                btPort,
                Duration.ofSeconds(readTimeoutSeconds),
                Duration.ofSeconds(keepRecentSeconds),
                Duration.ofSeconds(scrubIntervalSeconds));
        return new Node.Options(Duration.ofSeconds(gcRetentionSeconds), network,
                maxStorage == null ? 0 : parseSize(maxStorage));
    }

    /** A byte count with an optional binary suffix: 1048576, 512K, 500M, 20G, 1T. */
    static long parseSize(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([KMGT]?)(?:i?B)?", java.util.regex.Pattern.CASE_INSENSITIVE)
                .matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--max-storage: not a size: " + text + " (e.g. 500M or 20G)");
        }
        int shift = switch (m.group(2).toUpperCase()) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long value;
        try {
            value = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-storage: too large: " + text);
        }
        if (value == 0 || value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("--max-storage must be between 1 byte and 8 EiB: " + text);
        }
        return value << shift;
    }
}
