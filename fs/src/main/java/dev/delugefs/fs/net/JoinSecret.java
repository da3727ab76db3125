package dev.delugefs.fs.net;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.JoinToken;
import dev.delugefs.discovery.NodeKeys;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The volume's join secret as this member keeps it (ROOT/keys/join-secret, 0600), so that it can print the
 * join token again; the volume itself only stores the secret's hash ({@code join/<hash>}).
 */
public final class JoinSecret {
    static final String FILE_NAME = "join-secret";
    public static final String REPO_PREFIX = "join/";

    private JoinSecret() {
    }

    public static void save(Path root, String secret) throws IOException {
        Path file = root.resolve(NodeKeys.DIR_NAME).resolve(FILE_NAME);
        Files.writeString(file, secret + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    public static String load(Path root) throws IOException {
        Path file = root.resolve(NodeKeys.DIR_NAME).resolve(FILE_NAME);
        if (!Files.exists(file)) {
            throw new IOException("root " + root + " keeps no join secret (" + file + " is missing)");
        }
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
    }

    /** The token a new node presents: this volume, the secret, this node's host key and addresses. */
    public static JoinToken token(Path root, String volumeId) throws IOException {
        NodeKeys keys = NodeKeys.load(root);
        ChannelSettings settings = ChannelSettings.load(root);
        if (settings == null) {
            throw new IOException("root " + root + " has no " + ChannelSettings.FILE_NAME);
        }
        return new JoinToken(volumeId, load(root), keys.fingerprint(), reachableAddresses(settings));
    }

    /** --advertise if given; else the listen address, or every IPv4 address of this host for 0.0.0.0. */
    static List<HostPort> reachableAddresses(ChannelSettings settings) throws SocketException {
        if (!settings.advertise().isEmpty()) {
            return settings.advertiseAddresses();
        }
        HostPort listen = settings.listenAddress();
        if (!listen.host().equals("0.0.0.0")) {
            return List.of(listen);
        }
        List<HostPort> addresses = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address) {
                    addresses.add(new HostPort(address.getHostAddress(), listen.port()));
                }
            }
        }
        if (addresses.isEmpty()) {
            addresses.add(new HostPort("127.0.0.1", listen.port()));
        }
        return addresses;
    }
}
