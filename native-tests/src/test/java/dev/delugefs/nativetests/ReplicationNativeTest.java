package dev.delugefs.nativetests;

import static dev.delugefs.nativetests.LoopbackCluster.contentId;
import static dev.delugefs.nativetests.LoopbackCluster.eventually;
import static dev.delugefs.nativetests.LoopbackCluster.inventory;
import static dev.delugefs.nativetests.LoopbackCluster.status;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Replication (issue #5): four nodes on loopback, target 2. A file gets its second copy by itself, is
 * healed back to two after a holder dies, is trimmed back to two when the holder returns, and its space
 * comes back on every node once it is deleted.
 */
class ReplicationNativeTest {
    private Sandbox sandbox;

    @BeforeEach
    void sandbox(TestInfo info) {
        sandbox = Sandbox.create("Replication-" + info.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void cleanup() {
        sandbox.close();
    }

    @Test
    void everyFileKeepsTwoCopiesThroughTheLossAndReturnOfANode() throws Exception {
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 4, List.of(), List.of("--gc-retention", "1"));
        NodeProcess a = cluster.node(0);
        byte[] bytes = Data.random(11, 6 * Data.MIB + 5);
        Data.write(a.p("doc.bin"), bytes);
        String id = contentId(a, "doc.bin");

        eventually("doc.bin has 2 complete copies", 60, () -> holders(cluster, id).size() == 2);
        List<Integer> first = holders(cluster, id);
        assertThat(first).as("the writer keeps its copy").contains(0);

        // the other holder dies: the file is back to two copies on the nodes that are up
        int lost = first.get(0) == 0 ? first.get(1) : first.get(0);
        cluster.node(lost).kill9();
        eventually("doc.bin is back to 2 copies on the live nodes", 90, () -> holders(cluster, id).size() == 2);
        assertThat(holders(cluster, id)).doesNotContain(lost);

        // it returns with its copy: one of the three is dropped
        cluster.restart(lost);
        eventually("the extra copy is trimmed", 90, () -> holders(cluster, id).size() == 2);
        assertThat(status(a).path("replication").path("underTarget").asInt()).isZero();
        for (NodeProcess node : cluster.nodes()) {
            assertThat(Data.sha256(node.p("doc.bin"))).as("doc.bin read on " + node.root())
                    .isEqualTo(Data.sha256(bytes));
        }

        // deleted: its space comes back on every node
        Files.delete(a.p("doc.bin"));
        eventually("no node holds doc.bin's content", 60, () -> holders(cluster, id).isEmpty());
        cluster.stopAll();
    }

    @Test
    void aNodeAtItsStorageLimitIsNeverChosenAndItsWritesGetEnospc() throws Exception {
        // D may store 1 MiB; the files are 2 MiB each, so every second copy must go to B or C
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 4, List.of(), List.of(),
                java.util.Map.of(3, List.of("--max-storage", "1M")));
        NodeProcess a = cluster.node(0);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Data.write(a.p("f" + i), Data.random(20 + i, 2 * Data.MIB));
            ids.add(contentId(a, "f" + i));
        }
        for (String id : ids) {
            eventually("a second copy of " + id, 60, () -> holders(cluster, id).size() == 2);
        }
        assertThat(inventory(cluster.node(3))).as("what the node at its limit holds").isEmpty();
        assertThat(status(cluster.node(3)).path("freeBytes").asLong()).isLessThanOrEqualTo(Data.MIB);
        assertThat(Py.errno("open(p[0], 'wb').write(os.urandom(2 << 20))", Py.bytes(cluster.node(3).p("big"))))
                .as("writing 2 MiB on the node limited to 1 MiB").isEqualTo("ENOSPC");
        cluster.stopAll();
    }

    /** The indexes of the running nodes that hold the content complete. */
    private static List<Integer> holders(LoopbackCluster cluster, String id) {
        List<Integer> holding = new ArrayList<>();
        for (int i = 0; i < cluster.nodes().size(); i++) {
            NodeProcess node = cluster.node(i);
            if (node.running() && inventory(node).contains(id)) {
                holding.add(i);
            }
        }
        return holding;
    }
}
