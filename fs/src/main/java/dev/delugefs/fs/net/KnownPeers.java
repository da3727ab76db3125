package dev.delugefs.fs.net;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.delugefs.discovery.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code ROOT/peers.json}: the addresses this node has reached members at (every {@code --peer} it was given,
 * and the route of each member it found), so a restart needs no {@code --peer} and still finds the volume
 * when the records it holds are stale.
 */
final class KnownPeers {
    static final String FILE_NAME = "peers.json";
    private static final Logger log = LoggerFactory.getLogger(KnownPeers.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Set<String> given;
    private final Map<String, List<String>> learned;

    record Saved(@JsonProperty("peers") List<String> peers, @JsonProperty("learned") Map<String, List<String>> learned) {
    }

    private KnownPeers(Path file, Set<String> given, Map<String, List<String>> learned) {
        this.file = file;
        this.given = given;
        this.learned = learned;
    }

    /** What the root remembers, plus the --peer addresses of this start (remembered from now on). */
    static KnownPeers load(Path root, List<HostPort> peersNow) throws IOException {
        Path file = root.resolve(FILE_NAME);
        Set<String> given = new LinkedHashSet<>();
        Map<String, List<String>> learned = new TreeMap<>();
        if (Files.exists(file)) {
            try {
                Saved saved = JSON.readValue(file.toFile(), Saved.class);
                if (saved.peers() != null) {
                    given.addAll(saved.peers());
                }
                if (saved.learned() != null) {
                    learned.putAll(saved.learned());
                }
            } catch (IOException e) {
                log.warn("{} is unreadable, starting without the peers it named: {}", file, e.getMessage());
            }
        }
        peersNow.forEach(p -> given.add(p.toString()));
        KnownPeers known = new KnownPeers(file, given, learned);
        known.save();
        return known;
    }

    /** Every address worth dialing at start: the --peer ones, then those members were reached at. */
    synchronized List<HostPort> addresses() {
        Set<HostPort> out = new LinkedHashSet<>();
        for (String a : given) {
            parse(a, out);
        }
        learned.values().forEach(list -> list.forEach(a -> parse(a, out)));
        return new ArrayList<>(out);
    }

    /** A member was reached directly at these addresses; saved when they are new. */
    synchronized void learn(String nodeId, List<HostPort> addresses) {
        List<String> now = addresses.stream().map(HostPort::toString).toList();
        if (now.isEmpty() || now.equals(learned.get(nodeId))) {
            return;
        }
        learned.put(nodeId, now);
        try {
            save();
        } catch (IOException e) {
            log.warn("could not remember the addresses of {}: {}", nodeId, e.toString());
        }
    }

    private void save() throws IOException {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        JSON.writeValue(tmp.toFile(), new Saved(new ArrayList<>(given), new TreeMap<>(learned)));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void parse(String text, Set<HostPort> out) {
        try {
            out.add(MemberRecords.dialable(text));
        } catch (IllegalArgumentException e) {
            log.warn("{} names a bad address '{}': {}", FILE_NAME, text, e.getMessage());
        }
    }
}
