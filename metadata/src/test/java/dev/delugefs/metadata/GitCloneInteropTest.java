package dev.delugefs.metadata;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeKeys;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.RefUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.delugefs.metadata.NamespaceMergeTest.file;
import static dev.delugefs.metadata.NamespaceMergeTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Stock {@code git clone ssh://} with a member's key gets the metadata repo from a node's channel. */
class GitCloneInteropTest {

    private static final String A = NamespaceMergeTest.A;

    @TempDir
    Path tmp;

    private NamespaceStore store;
    private ChannelServer server;
    private NodeKeys member;

    @BeforeEach
    void start() throws IOException {
        boolean tools = Fixtures.gitAvailable() && Files.isExecutable(Path.of("/usr/bin/ssh"));
        if (!tools && "true".equals(System.getenv("CI"))) {
            fail("git and ssh are required on CI for the clone interop test");
        }
        assumeTrue(tools, "git or ssh not installed");
        store = NamespaceStore.create(tmp.resolve("a"), VolumeConfig.create("interop"), A,
                NamespaceMergeTest.dir(1 << 16, A), 20);
        store.record(List.of(new Change("/hello", file(2 << 16, A, id('1')))));
        store.sync();
        // a head fetched from a peer, which a clone must not see
        try (Git git = Git.open(tmp.resolve("a/meta.git").toFile())) {
            RefUpdate update = git.getRepository().updateRef("refs/remotes/" + NamespaceMergeTest.B + "/main");
            update.setNewObjectId(store.head());
            assertThat(update.update()).isEqualTo(RefUpdate.Result.NEW);
        }
        member = NodeKeys.loadOrCreate(tmp.resolve("member"), "member");
        server = ChannelServer.builder(NodeKeys.loadOrCreate(tmp.resolve("a"), "a"))
                .listen(new HostPort("127.0.0.1", 0))
                .authorizedKeys(AuthorizedKeys.of(member.publicKeyOpenSsh())).start();
        server.register(UploadPackCommand.NAME, new UploadPackCommand(store));
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void stockGitClonesTheMetadataRepo(int protocol) throws Exception {
        Path target = tmp.resolve("clone-v" + protocol);
        String ssh = "ssh -F /dev/null -i " + member.privateKeyFile() + " -o IdentitiesOnly=yes -o BatchMode=yes"
                + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p " + server.port();
        ProcessBuilder clone = new ProcessBuilder("git", "-c", "protocol.version=" + protocol, "clone", "--bare",
                "ssh://member@127.0.0.1/any/path/meta.git", target.toString())
                .redirectErrorStream(true);
        clone.environment().put("GIT_SSH_COMMAND", ssh);
        Process p = clone.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("git clone did not finish in 30 s: " + output);
        }
        assertThat(p.exitValue()).as(output).isZero();

        assertThat(Fixtures.git(target, "rev-parse", "refs/heads/main").strip()).isEqualTo(store.head().name());
        assertThat(Fixtures.git(target, "ls-tree", "-r", "--name-only", "main"))
                .contains("volume.json", "nodes/" + A + ".json", "ns/hello");
        assertThat(Fixtures.git(target, "for-each-ref", "--format=%(refname)")).doesNotContain("refs/remotes/");
        Fixtures.git(target, "fsck", "--strict");
    }
}
