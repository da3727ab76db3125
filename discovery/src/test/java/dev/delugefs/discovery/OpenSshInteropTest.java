package dev.delugefs.discovery;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The stock OpenSSH client, with a node's own key file, gets the same service as our client. */
class OpenSshInteropTest {
    private static final Path SSH = Path.of("/usr/bin/ssh");

    @TempDir Path serverRoot;
    @TempDir Path memberRoot;
    @TempDir Path strangerRoot;

    private ChannelServer server;
    private NodeKeys member;
    private NodeKeys stranger;

    @BeforeEach
    void start() throws IOException {
        if (!Files.isExecutable(SSH)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("/usr/bin/ssh is required on CI for the OpenSSH interop test");
            }
            assumeTrue(false, "/usr/bin/ssh not installed");
        }
        member = NodeKeys.loadOrCreate(memberRoot, "member");
        stranger = NodeKeys.loadOrCreate(strangerRoot, "stranger");
        server = ChannelServer.builder(NodeKeys.loadOrCreate(serverRoot, "server"))
                .authorizedKeys(AuthorizedKeys.of(member.publicKeyOpenSsh()))
                .start();
        server.register("echo-test", request -> {
            request.stdout().write(("hello " + String.join(" ", request.args()) + " "
                    + request.environment().get("GIT_PROTOCOL") + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            return 0;
        });
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void memberKeyRunsACommand() throws Exception {
        SshRun run = ssh(member.privateKeyFile(), "member", "echo-test", "from", "openssh");

        assertThat(run.exit).as(run.stderr).isZero();
        assertThat(run.stdout).isEqualTo("hello from openssh version=2\n");
    }

    @Test
    void unknownKeyIsRefused() throws Exception {
        SshRun run = ssh(stranger.privateKeyFile(), "member", "echo-test");

        assertThat(run.exit).isEqualTo(255);
        assertThat(run.stderr).contains("Permission denied");
    }

    @Test
    void shellIsNotOffered() throws Exception {
        SshRun run = ssh(member.privateKeyFile(), "member");

        assertThat(run.exit).isNotZero();
    }

    private SshRun ssh(Path key, String user, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of(SSH.toString(), "-F", "/dev/null", "-T",
                "-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10",
                "-o", "SetEnv=GIT_PROTOCOL=version=2", "-p", String.valueOf(server.port()), user + "@127.0.0.1"));
        args.addAll(List.of(command));
        Process process = new ProcessBuilder(args).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("ssh did not finish in 20 s");
        }
        return new SshRun(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private record SshRun(int exit, String stdout, String stderr) {
    }
}
