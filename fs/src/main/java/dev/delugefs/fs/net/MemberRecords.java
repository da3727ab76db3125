package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.metadata.NamespaceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the volume says about its members: {@code nodes/<id>.json} carries the addresses each node is reached
 * at (written by that node only, so it never conflicts), {@code nodes/<id>.pub} its key. Every node dials the
 * others from these, so a joiner that named one member finds all of them, and a node that moved is found
 * again once its record syncs.
 *
 * <p>Read once per head: the answers are kept until the namespace moves.
 */
final class MemberRecords {
    private static final Logger log = LoggerFactory.getLogger(MemberRecords.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "nodes/";
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})(\\.\\d{1,3}){3}");
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private final NamespaceStore store;
    private final String selfNodeId;
    private final Map<String, String> warned = new ConcurrentHashMap<>();
    private volatile Snapshot snapshot;

    private record Snapshot(String head, Map<String, List<HostPort>> addresses, Map<String, String> keyOwners) {
    }

    MemberRecords(NamespaceStore store, String selfNodeId) {
        this.store = store;
        this.selfNodeId = selfNodeId;
    }

    /** Writes our addresses into our record, if they are not there already. */
    void publish(List<HostPort> addresses) throws IOException {
        String path = PREFIX + selfNodeId + ".json";
        byte[] before = store.files(path).get(path);
        ObjectNode record = before == null ? JSON.createObjectNode() : readObject(before);
        List<String> wanted = addresses.stream().map(HostPort::toString).distinct().toList();
        List<String> had = new ArrayList<>();
        record.path("addresses").forEach(a -> had.add(a.asText()));
        if (had.equals(wanted)) {
            return;
        }
        record.put("nodeId", selfNodeId);
        ArrayNode list = record.putArray("addresses");
        wanted.forEach(list::add);
        record.put("addressesUpdatedAt", System.currentTimeMillis());
        byte[] json = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        store.putFiles(Map.of(path, json));
        log.info("our record in the volume now names {}", wanted);
    }

    /** Every other member's addresses, as its record gives them; garbage in a record is skipped and logged. */
    Map<String, List<HostPort>> addresses() {
        return current().addresses();
    }

    /** The member whose key has this fingerprint. */
    Optional<String> nodeOfKey(String fingerprint) {
        return Optional.ofNullable(current().keyOwners().get(fingerprint));
    }

    private Snapshot current() {
        String head = store.head() == null ? "" : store.head().name();
        Snapshot s = snapshot;
        if (s != null && s.head().equals(head)) {
            return s;
        }
        Map<String, List<HostPort>> addresses = new HashMap<>();
        Map<String, String> keyOwners = new HashMap<>();
        try {
            for (Map.Entry<String, byte[]> e : store.files(PREFIX).entrySet()) {
                String name = e.getKey().substring(PREFIX.length());
                if (name.endsWith(".pub")) {
                    keyOwner(name.substring(0, name.length() - 4), e.getValue(), keyOwners);
                } else if (name.endsWith(".json")) {
                    String nodeId = name.substring(0, name.length() - 5);
                    if (!nodeId.equals(selfNodeId)) {
                        List<HostPort> found = addressesOf(nodeId, e.getValue());
                        if (!found.isEmpty()) {
                            addresses.put(nodeId, found);
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.warn("could not read the members' records: {}", e.toString());
        }
        s = new Snapshot(head, Map.copyOf(addresses), Map.copyOf(keyOwners));
        snapshot = s;
        return s;
    }

    private void keyOwner(String nodeId, byte[] pub, Map<String, String> owners) {
        try {
            owners.put(NodeKeys.fingerprintOfOpenSsh(new String(pub, StandardCharsets.US_ASCII)), nodeId);
        } catch (IllegalArgumentException e) {
            warnOnce(nodeId + ".pub", "the key of member " + nodeId + " is unreadable: " + e.getMessage());
        }
    }

    private List<HostPort> addressesOf(String nodeId, byte[] json) {
        Set<HostPort> found = new LinkedHashSet<>();
        try {
            JsonNode record = JSON.readTree(json);
            for (JsonNode a : record.path("addresses")) {
                try {
                    found.add(dialable(a.asText()));
                } catch (IllegalArgumentException e) {
                    warnOnce(nodeId + a.asText(), "the record of member " + nodeId + " names a bad address '"
                            + a.asText() + "': " + e.getMessage() + "; skipped");
                }
            }
        } catch (IOException e) {
            warnOnce(nodeId + ".json", "the record of member " + nodeId + " is not JSON: " + e.getMessage());
        }
        return List.copyOf(found);
    }

    /** An address another node may dial: an IP literal or a DNS name, never a wildcard or multicast one. */
    static HostPort dialable(String text) {
        HostPort address = HostPort.parse(text);
        String host = address.host();
        if (address.port() < 1 || address.port() > 65535) {
            throw new IllegalArgumentException("port out of range");
        }
        boolean literal = IPV4.matcher(host).matches() || host.contains(":");
        if (!literal && !DNS_NAME.matcher(host).matches()) {
            throw new IllegalArgumentException("not an IP address or host name");
        }
        if (literal) {
            try {
                InetAddress ip = InetAddress.getByName(host);
                if (host.contains(":") && !(ip instanceof java.net.Inet6Address)) {
                    throw new IllegalArgumentException("not an IPv6 address");
                }
                if (ip.isAnyLocalAddress() || ip.isMulticastAddress()) {
                    throw new IllegalArgumentException("a wildcard or multicast address");
                }
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address");
            }
        }
        return address;
    }

    private static ObjectNode readObject(byte[] json) {
        try {
            JsonNode node = JSON.readTree(json);
            return node instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private void warnOnce(String key, String message) {
        if (warned.put(key, message) == null) {
            log.warn(message);
        }
    }
}
