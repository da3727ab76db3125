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

    @Test
    void aChainedMirrorRequestLeavesCopiesOnEachNodeOfItsChainAndCopiesInUseAreKept() throws Exception {
        // one copy is the target: nothing but the request itself puts a copy on B or C
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 4, "--replication", "1");
        NodeProcess a = cluster.node(0);
        byte[] bytes = Data.random(31, 9 * Data.MIB + 3);
        Data.write(a.p("chain.bin"), bytes);
        String id = contentId(a, "chain.bin");

        // B is asked, with stock ssh, to keep a copy and then pass the request on to C
        Cmd.Result asked = LoopbackCluster.ask(cluster.node(1),
                "please-mirror " + id + " " + LoopbackCluster.nodeId(cluster.node(2)), describe(bytes, Data.MIB));
        assertThat(asked.exit()).as(asked.describe("please-mirror on B")).isZero();
        eventually("B and C hold chain.bin", 60, () -> holders(cluster, id).containsAll(List.of(1, 2)));
        // three copies, one wanted: the copies fetched on request are in recent use and stay; A's goes
        eventually("A's copy is the one trimmed", 60, () -> holders(cluster, id).equals(List.of(1, 2)));
        NodeProcess.sleep(12_000);  // two more census rounds
        assertThat(holders(cluster, id)).as("holders of chain.bin two rounds later").containsExactly(1, 2);

        // D reads a file that only A holds: D's copy is the one kept
        byte[] read = Data.random(32, 7 * Data.MIB);
        Data.write(a.p("read.bin"), read);
        String readId = contentId(a, "read.bin");
        eventually("D sees read.bin whole", 30, () -> LoopbackCluster.sizeOf(cluster.node(3).p("read.bin")) == read.length);
        assertThat(Data.sha256(cluster.node(3).p("read.bin"))).isEqualTo(Data.sha256(read));
        eventually("the copy D read is the one kept", 60, () -> holders(cluster, readId).equals(List.of(3)));

        // bad requests are refused with a reason, and change nothing
        Cmd.Result badNode = LoopbackCluster.ask(cluster.node(1), "please-mirror " + readId + " not-a-node",
                describe(read, Data.MIB));
        assertThat(badNode.exit()).isNotZero();
        assertThat(badNode.err()).contains("not a node id");
        Cmd.Result wrongPieces = LoopbackCluster.ask(cluster.node(1), "please-mirror " + readId, describe(bytes, Data.MIB));
        assertThat(wrongPieces.exit()).isNotZero();
        assertThat(wrongPieces.err()).contains("describe content");
        assertThat(holders(cluster, readId)).containsExactly(3);
        cluster.stopAll();
    }

    @Test
    void partlyReadContentOfADeletedFileIsReclaimed() throws Exception {
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 2, List.of("--replication", "1"),
                List.of("--gc-retention", "1"));
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        byte[] bytes = Data.random(33, 24 * Data.MIB);
        Data.write(a.p("big.bin"), bytes);
        String id = contentId(a, "big.bin");
        eventually("B sees big.bin whole", 30, () -> LoopbackCluster.sizeOf(b.p("big.bin")) == bytes.length);
        // 1 MiB from the middle: B keeps the pieces it fetched, with a bitmap, and no copy
        assertThat(Py.run("f = open(p[0], 'rb'); f.seek(12 << 20); print(len(f.read(1 << 20)))", Py.bytes(b.p("big.bin")))
                .out().strip()).isEqualTo(String.valueOf(Data.MIB));
        java.nio.file.Path partial = b.root().resolve("blocks").resolve(id.substring(0, 2)).resolve(id);
        assertThat(partial.resolveSibling(id + ".bitmap")).exists();
        assertThat(inventory(b)).doesNotContain(id);

        Files.delete(a.p("big.bin"));
        eventually("A reclaims big.bin's content", 30, () -> !inventory(a).contains(id));
        // the runtime cannot let go of an unfinished download (bt #146): B reclaims the pieces once the
        // download is gone, at the latest after a restart
        b.stop();
        cluster.restart(1);
        eventually("B reclaims the pieces it fetched of big.bin", 30,
                () -> !Files.exists(partial) && !Files.exists(partial.resolveSibling(id + ".bitmap")));
        cluster.stopAll();
    }

    @Test
    void aScrubFindsACopyRottedOnDiskAndFetchesOnlyItsDamagedPiecesAgain() throws Exception {
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 2);
        NodeProcess a = cluster.node(0);
        NodeProcess b = cluster.node(1);
        byte[] bytes = Data.random(41, 12 * Data.MIB);
        Data.write(a.p("rot.bin"), bytes);
        String id = contentId(a, "rot.bin");
        eventually("B holds a copy of rot.bin", 60, () -> inventory(b).contains(id));
        java.nio.file.Path onB = b.root().resolve("blocks").resolve(id.substring(0, 2)).resolve(id);
        Data.flipByte(onB, 3 * Data.MIB + 5);
        Data.flipByte(onB, 9 * Data.MIB + 1);

        Cmd.Result scrub = NodeProcess.cli("scrub", "--root", b.root().toString()).timeout(java.time.Duration.ofSeconds(60)).run();
        assertThat(scrub.exit()).as(scrub.describe("delugefs scrub on B")).isEqualTo(3);
        assertThat(scrub.out()).contains("scrubbed 1 copies").contains(id + ": 2 of 12 pieces damaged");
        try {
            eventually("B's copy is whole again", 60, () -> inventory(b).contains(id));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + b.logTail(), e);
        }
        assertThat(Data.sha256(onB)).as("B's copy of rot.bin on its disk").isEqualTo(Data.sha256(bytes));
        assertThat(status(b).path("scrub").path("damagedSinceStart").asInt()).isEqualTo(1);
        Cmd.Result again = NodeProcess.cli("scrub", "--root", b.root().toString()).run();
        assertThat(again.exit()).as(again.describe("a second scrub on B")).isZero();
        assertThat(again.out()).contains("0 damaged");

        // with A gone, B's copy rots again: B never serves the bad bytes, and keeps serving the good ones
        a.stop();
        Data.flipByte(onB, 7 * Data.MIB);
        assertThat(NodeProcess.cli("scrub", "--root", b.root().toString()).run().exit()).isEqualTo(3);
        assertThat(Py.errno("f = open(p[0], 'rb'); f.seek(7 << 20); f.read(4096)", Py.bytes(b.p("rot.bin"))))
                .as("reading the damaged piece with no other copy up").isEqualTo("EIO");
        assertThat(Py.run("f = open(p[0], 'rb'); f.seek(2 << 20); import hashlib; print(hashlib.sha256(f.read(1 << 20)).hexdigest())",
                Py.bytes(b.p("rot.bin"))).out().strip()).as("an intact piece still reads from B's disk")
                .isEqualTo(Data.sha256(java.util.Arrays.copyOfRange(bytes, 2 * Data.MIB, 3 * Data.MIB)));
        cluster.restart(0);
        try {
            eventually("B's copy is repaired once A is back", 90, () -> inventory(b).contains(id));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + b.logTail() + a.logTail(), e);
        }
        assertThat(Data.sha256(b.p("rot.bin"))).isEqualTo(Data.sha256(bytes));
        cluster.stopAll();
    }

    @Test
    void aCopyTrimmedAwayReadsAgainOnItsNode() throws Exception {
        // no copy is spared for being fetched lately, and a read that waits 5 s fails: bt 1.10 fetched
        // content again in the runtime that had served or fetched it only after a stall of ~30 s
        List<String> flags = List.of("--keep-recent", "0", "--read-timeout", "5");
        LoopbackCluster cluster = LoopbackCluster.start(sandbox, 2, List.of(), flags);
        byte[] bytes = Data.random(51, 12 * Data.MIB + 9);
        Data.write(cluster.node(0).p("trim.bin"), bytes);
        String id = contentId(cluster.node(0), "trim.bin");
        eventually("trim.bin has 2 copies", 60, () -> holders(cluster, id).size() == 2);
        NodeProcess.cli("config", "set", "replication", "1", "--root", cluster.node(0).root().toString()).ok();
        eventually("one copy is trimmed", 60, () -> holders(cluster, id).size() == 1);
        int trimmed = holders(cluster, id).get(0) == 0 ? 1 : 0;
        NodeProcess reader = cluster.node(trimmed);
        for (int round = 0; round < 2; round++) {
            assertThat(Data.sha256(reader.p("trim.bin"))).as("trim.bin read again on the node whose copy went, "
                    + (round == 0 ? "first" : "second") + " time").isEqualTo(Data.sha256(bytes));
            if (round == 0) {
                // its copy is whole again, and over target: trimmed once more, then read once more
                eventually("one copy is trimmed again", 60, () -> holders(cluster, id).size() == 1);
                trimmed = holders(cluster, id).get(0) == 0 ? 1 : 0;
                reader = cluster.node(trimmed);
            }
        }
        cluster.stopAll();
    }

    /** The content description mirror requests carry: length, piece length and the pieces' SHA-1s. */
    private static byte[] describe(byte[] bytes, int pieceLength) throws Exception {
        java.io.ByteArrayOutputStream pieces = new java.io.ByteArrayOutputStream();
        for (int off = 0; off < bytes.length; off += pieceLength) {
            java.security.MessageDigest sha1 = java.security.MessageDigest.getInstance("SHA-1");
            sha1.update(bytes, off, Math.min(pieceLength, bytes.length - off));
            pieces.write(sha1.digest());
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(java.util.Map.of(
                "length", bytes.length, "pieceLength", pieceLength,
                "pieces", java.util.Base64.getEncoder().encodeToString(pieces.toByteArray())));
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
