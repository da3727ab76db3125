package dev.delugefs.discovery;

import dev.delugefs.discovery.internal.SshCrypto;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;

/**
 * The node's ed25519 key pair in {@code ROOT/keys/}: SSH host key of its channel server and client key towards
 * its peers. The private key is written in OpenSSH format, so stock {@code ssh -i} and {@code git} accept it.
 */
public final class NodeKeys {
    public static final String DIR_NAME = "keys";
    public static final String PRIVATE_KEY_FILE = "id_ed25519";
    public static final String PUBLIC_KEY_FILE = "id_ed25519.pub";

    private final KeyPair keyPair;
    private final Path privateKeyFile;
    private final String publicKeyOpenSsh;
    private final String fingerprint;

    private NodeKeys(KeyPair keyPair, Path privateKeyFile, String comment) {
        this.keyPair = keyPair;
        this.privateKeyFile = privateKeyFile;
        this.publicKeyOpenSsh = openSshLine(keyPair.getPublic(), comment);
        this.fingerprint = fingerprintOf(keyPair.getPublic());
    }

    /** Loads the pair under {@code root}, creating it on the node's first start. */
    public static NodeKeys loadOrCreate(Path root, String comment) throws IOException {
        Path dir = root.resolve(DIR_NAME);
        // one node process per root (node.json guards that), so no race between check and create
        if (!Files.isRegularFile(dir.resolve(PRIVATE_KEY_FILE))) {
            create(dir, comment);
        }
        return load(root);
    }

    public static NodeKeys load(Path root) throws IOException {
        SshCrypto.ensureEd25519();
        Path file = root.resolve(DIR_NAME).resolve(PRIVATE_KEY_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "node key missing");
        }
        try (InputStream in = Files.newInputStream(file)) {
            Iterator<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, () -> file.toString(), in, null)
                    .iterator();
            if (!pairs.hasNext()) {
                throw new IOException(file + " holds no key pair");
            }
            KeyPair pair = pairs.next();
            if (!KeyPairProvider.SSH_ED25519.equals(KeyUtils.getKeyType(pair))) {
                throw new IOException(file + " is not an ed25519 key but " + KeyUtils.getKeyType(pair));
            }
            return new NodeKeys(pair, file, commentOf(root));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not a readable OpenSSH private key: " + e.getMessage(), e);
        }
    }

    private static void create(Path dir, String comment) throws IOException {
        SshCrypto.ensureEd25519();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        KeyPair pair;
        try {
            pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate an ed25519 key: " + e.getMessage(), e);
        }
        writeOwnerOnly(dir.resolve(PUBLIC_KEY_FILE), (openSshLine(pair.getPublic(), comment) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        // the private key last: its presence is what marks the pair as complete
        try (var buffer = new ByteArrayOutputStream()) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, null, buffer);
            writeOwnerOnly(dir.resolve(PRIVATE_KEY_FILE), buffer.toByteArray());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encode the ed25519 key: " + e.getMessage(), e);
        }
    }

    private static void writeOwnerOnly(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(bytes));
            out.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String commentOf(Path root) throws IOException {
        Path pub = root.resolve(DIR_NAME).resolve(PUBLIC_KEY_FILE);
        if (!Files.isRegularFile(pub)) {
            return "";
        }
        String[] parts = Files.readString(pub).trim().split("\\s+", 3);
        return parts.length == 3 ? parts[2] : "";
    }

    private static String openSshLine(PublicKey key, String comment) {
        String line = PublicKeyEntry.toString(key);
        return comment == null || comment.isBlank() ? line : line + " " + comment.strip();
    }

    /** {@code SHA256:<base64>} exactly as {@code ssh-keygen -l} prints it. */
    /**
     * The fingerprint of a key in OpenSSH's one-line form ({@code ssh-ed25519 AAAA... comment}).
     *
     * @throws IllegalArgumentException if the line holds no readable key
     */
    public static String fingerprintOfOpenSsh(String line) {
        try {
            org.apache.sshd.common.config.keys.AuthorizedKeyEntry entry =
                    org.apache.sshd.common.config.keys.AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.strip());
            if (entry == null) {
                throw new IllegalArgumentException("no key in '" + line.strip() + "'");
            }
            return fingerprintOf(entry.resolvePublicKey(null,
                    org.apache.sshd.common.config.keys.PublicKeyEntryResolver.FAILING));
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable key: " + e.getMessage(), e);
        }
    }

    public static String fingerprintOf(PublicKey key) {
        return KeyUtils.getFingerPrint(key);
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    /** The {@code ssh-ed25519 AAAA... comment} line of an authorized_keys file. */
    public String publicKeyOpenSsh() {
        return publicKeyOpenSsh;
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** The private key file, in OpenSSH format and mode 0600, for tools such as {@code ssh -i}. */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    @Override
    public String toString() {
        return "NodeKeys[" + fingerprint + "]";
    }
}
