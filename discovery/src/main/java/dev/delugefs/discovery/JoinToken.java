package dev.delugefs.discovery;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * What a new node needs to be let in, as one copy-pasteable line: the volume, a secret, and how to reach and
 * recognise a member (its host-key fingerprint, so even the first contact cannot be intercepted).
 * Members keep only {@link #secretHash()}; the secret itself is the password of the SSH user {@code join}.
 *
 * <p>Wire form: {@code dfs1-} + base64url of volume id (16 bytes), secret (length + bytes), fingerprint
 * (32 bytes of SHA-256), addresses (count + UTF strings), CRC-32 of all that; the checksum turns a
 * mangled paste into a clear message instead of a failed login.
 */
public record JoinToken(String volumeId, String secret, String hostKeyFingerprint, List<HostPort> addresses) {

    public static final String PREFIX = "dfs1-";
    private static final int SECRET_BYTES = 32;
    private static final int MIN_SECRET_BYTES = 16;
    private static final String FINGERPRINT_PREFIX = "SHA256:";
    private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

    public JoinToken {
        if (volumeId == null || !HEX_ID.matcher(volumeId).matches()) {
            throw new IllegalArgumentException("volume id must be 32 lowercase hex digits: " + volumeId);
        }
        if (secret == null || decodeSecret(secret).length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("join secret must be base64url of at least "
                    + MIN_SECRET_BYTES + " bytes");
        }
        // ssh-keygen drops base64 padding; normalise so tokens compare equal however the fingerprint was typed
        hostKeyFingerprint = FINGERPRINT_PREFIX
                + Base64.getEncoder().withoutPadding().encodeToString(fingerprintBytes(hostKeyFingerprint));
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty() || addresses.size() > 255) {
            throw new IllegalArgumentException("a join token needs 1 to 255 member addresses, got " + addresses.size());
        }
    }

    /** A token with a fresh 256-bit secret. */
    public static JoinToken issue(String volumeId, String hostKeyFingerprint, List<HostPort> addresses) {
        return new JoinToken(volumeId, newSecret(), hostKeyFingerprint, addresses);
    }

    /** A fresh 256-bit secret, base64url: made once per volume, kept by its members. */
    public static String newSecret() {
        byte[] secret = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        return B64URL.encodeToString(secret);
    }

    /** What a member stores to check joins; the secret itself need not be kept. */
    public String secretHash() {
        return hashSecret(secret);
    }

    /**
     * {@code sha256:<hex>}. No salt or slow KDF: the secret is 128+ random bits, so a plain hash cannot be
     * reversed by guessing.
     */
    public static String hashSecret(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Compares in constant time, so response timing reveals nothing of the stored hash. */
    public static boolean secretMatches(String secret, String expectedHash) {
        if (secret == null || expectedHash == null) {
            return false;
        }
        return MessageDigest.isEqual(hashSecret(secret).getBytes(StandardCharsets.US_ASCII),
                expectedHash.getBytes(StandardCharsets.US_ASCII));
    }

    public String encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(HexFormat.of().parseHex(volumeId));
            byte[] rawSecret = decodeSecret(secret);
            out.writeByte(rawSecret.length);
            out.write(rawSecret);
            out.write(fingerprintBytes(hostKeyFingerprint));
            out.writeByte(addresses.size());
            for (HostPort address : addresses) {
                out.writeUTF(address.toString());
            }
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeInt((int) crc.getValue());
            return PREFIX + B64URL.encodeToString(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
    }

    /** @throws IllegalArgumentException naming what is wrong with the text */
    public static JoinToken parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("join token is empty");
        }
        String trimmed = text.strip();
        if (!trimmed.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a DelugeFS join token (expected it to start with '"
                    + PREFIX + "')");
        }
        byte[] raw;
        try {
            raw = B64URL_DECODER.decode(trimmed.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("join token is damaged (not base64url): " + e.getMessage());
        }
        if (raw.length < 4) {
            throw new IllegalArgumentException("join token is truncated");
        }
        CRC32 crc = new CRC32();
        crc.update(raw, 0, raw.length - 4);
        int stored = ((raw[raw.length - 4] & 0xff) << 24) | ((raw[raw.length - 3] & 0xff) << 16)
                | ((raw[raw.length - 2] & 0xff) << 8) | (raw[raw.length - 1] & 0xff);
        if ((int) crc.getValue() != stored) {
            throw new IllegalArgumentException("join token is damaged or incomplete (checksum mismatch); "
                    + "copy it again in one piece");
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw, 0, raw.length - 4));
            String volumeId = HexFormat.of().formatHex(in.readNBytes(16));
            byte[] secret = in.readNBytes(in.readUnsignedByte());
            byte[] fingerprint = in.readNBytes(32);
            if (fingerprint.length != 32) {
                throw new EOFException();
            }
            int count = in.readUnsignedByte();
            List<HostPort> addresses = new java.util.ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                addresses.add(HostPort.parse(in.readUTF()));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing data");
            }
            return new JoinToken(volumeId, B64URL.encodeToString(secret),
                    FINGERPRINT_PREFIX + Base64.getEncoder().withoutPadding().encodeToString(fingerprint), addresses);
        } catch (IOException e) {
            throw new IllegalArgumentException("join token is truncated");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("join token is invalid: " + e.getMessage(), e);
        }
    }

    private static byte[] decodeSecret(String secret) {
        try {
            return B64URL_DECODER.decode(secret);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("join secret is not base64url");
        }
    }

    private static byte[] fingerprintBytes(String fingerprint) {
        if (fingerprint == null || !fingerprint.startsWith(FINGERPRINT_PREFIX)) {
            throw new IllegalArgumentException("host-key fingerprint must look like SHA256:...: " + fingerprint);
        }
        byte[] digest;
        try {
            digest = Base64.getDecoder().decode(fingerprint.substring(FINGERPRINT_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host-key fingerprint is not base64: " + fingerprint);
        }
        if (digest.length != 32) {
            throw new IllegalArgumentException("host-key fingerprint is not a SHA-256 digest: " + fingerprint);
        }
        return digest;
    }

    /** Keeps the secret out of logs. */
    @Override
    public String toString() {
        return "JoinToken[volume=" + volumeId + ", host key " + hostKeyFingerprint + ", " + addresses + "]";
    }
}
