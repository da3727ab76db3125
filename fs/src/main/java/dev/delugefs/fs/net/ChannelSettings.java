package dev.delugefs.fs.net;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.delugefs.discovery.HostPort;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Where a node's channel listens and what it tells others, kept in ROOT/channel.json so the port stays
 * the same across restarts: join tokens and static --peer lists name it. The BitTorrent port is kept
 * too, so that a firewall rule for it keeps working.
 */
public record ChannelSettings(@JsonProperty("listen") String listen,
                              @JsonProperty("advertise") List<String> advertise,
                              @JsonProperty("btPort") Integer btPort) {
    public static final String FILE_NAME = "channel.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ChannelSettings {
        HostPort.parse(listen);
        advertise = advertise == null ? List.of() : List.copyOf(advertise);
        advertise.forEach(HostPort::parse);
        if (btPort != null && (btPort < 0 || btPort > 65535)) {
            throw new IllegalArgumentException("btPort out of range: " + btPort);
        }
    }

    public HostPort listenAddress() {
        return HostPort.parse(listen);
    }

    /** The listen address as a local process connects to it: loopback when the node listens on all interfaces. */
    public HostPort localAddress() {
        HostPort listen = listenAddress();
        return listen.host().equals("0.0.0.0") || listen.host().equals("::")
                ? new HostPort("127.0.0.1", listen.port()) : listen;
    }

    public List<HostPort> advertiseAddresses() {
        return advertise.stream().map(HostPort::parse).toList();
    }

    /** A free port now, on all interfaces; it is kept from then on. */
    public static ChannelSettings fresh() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return new ChannelSettings("0.0.0.0:" + probe.getLocalPort(), List.of(), null);
        }
    }

    public static ChannelSettings load(Path root) throws IOException {
        Path file = root.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), ChannelSettings.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + " is not valid: " + e.getMessage(), e);
        }
    }

    public void save(Path root) throws IOException {
        Path tmp = root.resolve(FILE_NAME + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        Files.move(tmp, root.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
