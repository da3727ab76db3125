package dev.delugefs.metadata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StaleLocksTest {
    private static final String NODE = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path root;

    /** A node killed while moving main leaves main.lock; the next start must still commit its journal. */
    @Test
    void openAfterACrashMidCommitStillCommits() throws Exception {
        Record rootDir = Record.builder(Record.Type.DIR).mode(0755).clock(1).writer(NODE).build();
        NamespaceStore.create(root, VolumeConfig.create("v"), NODE, rootDir).close();
        NamespaceStore store = NamespaceStore.open(root, NODE);
        Record file = Record.builder(Record.Type.FILE).mode(0644).clock(2).writer(NODE).build();
        store.record(List.of(new Change("/f", file)));
        store.crash();
        Path git = root.resolve("meta.git");
        Files.writeString(git.resolve("refs/heads/main.lock"), "stale");
        Files.write(git.resolve("objects/insert_123.pack"), new byte[]{1, 2, 3});

        try (NamespaceStore reopened = NamespaceStore.open(root, NODE)) {
            assertThat(reopened.snapshot()).containsKey("/f");
            reopened.sync();
        }
        assertThat(git.resolve("refs/heads/main.lock")).doesNotExist();
        assertThat(git.resolve("objects/insert_123.pack")).doesNotExist();
        assertThat(NamespaceStore.readOnly(root).records()).containsKey("/f");
    }
}
