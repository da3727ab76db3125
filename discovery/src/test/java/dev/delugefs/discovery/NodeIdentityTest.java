package dev.delugefs.discovery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeIdentityTest {
    @TempDir Path root;

    @Test
    void savedIdentityLoadsBackUnchanged() throws IOException {
        NodeIdentity id = NodeIdentity.generate(NodeIdentity.randomId());
        id.save(root);
        assertThat(NodeIdentity.exists(root)).isTrue();
        assertThat(NodeIdentity.load(root)).isEqualTo(id);
    }

    @Test
    void generatedIdsDiffer() {
        assertThat(NodeIdentity.randomId()).matches("[0-9a-f]{32}").isNotEqualTo(NodeIdentity.randomId());
    }

    @Test
    void corruptFileIsReportedWithItsPath() throws IOException {
        Files.writeString(root.resolve(NodeIdentity.FILE_NAME), "{\"nodeId\":\"xyz\"}");
        assertThatThrownBy(() -> NodeIdentity.load(root))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("node.json");
    }
}
