package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.PeerInfo;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The mDNS TXT record of a node (DESIGN §7), and the rules for accepting one. A record is decoded only when
 * complete: jmDNS reports a service in steps (name, then SRV/TXT, then addresses), and a half-known peer
 * would be dialled at no address.
 */
public final class TxtCodec {
    public static final String PROTOCOL_VERSION = "1";
    static final String VERSION = "v";
    static final String VOLUME = "volume";
    static final String NODE = "node";
    static final String SSH = "ssh";
    static final String BT = "bt";
    static final String HEAD = "head";
    static final String FREE = "free";
    static final String HOST = "host";
    private static final List<String> REQUIRED = List.of(VERSION, VOLUME, NODE, SSH, BT, HEAD, FREE, HOST);

    public enum Verdict { ACCEPTED, INCOMPLETE, NO_IPV4, UNSUPPORTED_VERSION, OTHER_VOLUME, SELF, MALFORMED }

    /** {@code peer} is set only when ACCEPTED. */
    public record Decoded(Verdict verdict, PeerInfo peer, String detail) {
        static Decoded refused(Verdict verdict, String detail) {
            return new Decoded(verdict, null, detail);
        }
    }

    private TxtCodec() {
    }

    /** Wildcard hosts in the node's addresses become {@code bound}: a peer cannot dial 0.0.0.0. */
    public static Map<String, String> encode(PeerInfo self, InetAddress bound) {
        Map<String, String> txt = new LinkedHashMap<>();
        txt.put(VERSION, PROTOCOL_VERSION);
        txt.put(VOLUME, self.volumeId());
        txt.put(NODE, self.nodeId());
        txt.put(SSH, self.addresses().stream()
                .map(a -> isWildcard(a.host()) ? new HostPort(bound.getHostAddress(), a.port()) : a)
                .map(HostPort::toString)
                .collect(Collectors.joining(",")));
        txt.put(BT, Integer.toString(self.btPort()));
        txt.put(HEAD, self.head());
        txt.put(FREE, Long.toString(self.freeBytes()));
        txt.put(HOST, self.hostId());
        return txt;
    }

    public static Decoded decode(Map<String, String> txt, List<Inet4Address> ipv4, String volumeId,
                                 String selfNodeId, Instant now) {
        for (String key : REQUIRED) {
            if (txt.get(key) == null) {
                return Decoded.refused(Verdict.INCOMPLETE, "no '" + key + "' yet");
            }
        }
        if (!PROTOCOL_VERSION.equals(txt.get(VERSION))) {
            return Decoded.refused(Verdict.UNSUPPORTED_VERSION, "protocol version " + txt.get(VERSION));
        }
        if (!volumeId.equals(txt.get(VOLUME))) {
            return Decoded.refused(Verdict.OTHER_VOLUME, "volume " + txt.get(VOLUME));
        }
        if (selfNodeId.equals(txt.get(NODE))) {
            return Decoded.refused(Verdict.SELF, "this node");
        }
        if (ipv4.isEmpty()) {
            return Decoded.refused(Verdict.NO_IPV4, "no IPv4 address yet");
        }
        try {
            List<HostPort> ssh = parseAddresses(txt.get(SSH), ipv4.get(0));
            if (ssh.isEmpty()) {
                return Decoded.refused(Verdict.MALFORMED, "empty ssh address list");
            }
            PeerInfo peer = new PeerInfo(txt.get(NODE), txt.get(VOLUME), ssh, Integer.parseInt(txt.get(BT)),
                    txt.get(HOST), txt.get(HEAD), Long.parseLong(txt.get(FREE)), now);
            return new Decoded(Verdict.ACCEPTED, peer, "");
        } catch (IllegalArgumentException e) {
            return Decoded.refused(Verdict.MALFORMED, e.getMessage());
        }
    }

    private static List<HostPort> parseAddresses(String list, Inet4Address recordAddress) {
        List<HostPort> out = new ArrayList<>();
        for (String item : list.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            HostPort address = HostPort.parse(item.strip());
            out.add(isWildcard(address.host()) ? new HostPort(recordAddress.getHostAddress(), address.port())
                    : address);
        }
        return out;
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }
}
