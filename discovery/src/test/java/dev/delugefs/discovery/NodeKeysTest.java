package dev.delugefs.discovery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeKeysTest {
    @TempDir Path root;

    @Test
    void keyIsCreatedOnceAndLoadedAfter() throws Exception {
        NodeKeys created = NodeKeys.loadOrCreate(root, "node-a");
        NodeKeys again = NodeKeys.loadOrCreate(root, "ignored");

        assertThat(again.fingerprint()).isEqualTo(created.fingerprint());
        assertThat(again.publicKeyOpenSsh()).isEqualTo(created.publicKeyOpenSsh());
        assertThat(created.publicKeyOpenSsh()).startsWith("ssh-ed25519 AAAA").endsWith(" node-a");
        assertThat(created.fingerprint()).matches("SHA256:[A-Za-z0-9+/]{43}");
    }

    @Test
    void keyFilesAreOwnerOnly() throws Exception {
        NodeKeys keys = NodeKeys.loadOrCreate(root, "node-a");
        Path dir = root.resolve(NodeKeys.DIR_NAME);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.privateKeyFile())))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(NodeKeys.PUBLIC_KEY_FILE))))
                .isEqualTo("rw-------");
        try (var listing = Files.list(dir)) {
            assertThat(listing).hasSize(2);
        }
    }

    @Test
    void fingerprintIsTheOneSshKeygenPrints() throws Exception {
        Path keygen = Path.of("/usr/bin/ssh-keygen");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(keygen) || "true".equals(System.getenv("CI")),
                "ssh-keygen not installed");
        NodeKeys keys = NodeKeys.loadOrCreate(root, "node-a");

        Process p = new ProcessBuilder(keygen.toString(), "-l", "-f", keys.privateKeyFile().toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).startsWith("256 " + keys.fingerprint() + " ");
    }

    @Test
    void missingKeyIsReportedWithItsPath() {
        assertThatThrownBy(() -> NodeKeys.load(root))
                .hasMessageContaining(root.resolve("keys").resolve("id_ed25519").toString());
    }
}
