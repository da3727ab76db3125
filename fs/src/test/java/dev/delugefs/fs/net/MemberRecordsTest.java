package dev.delugefs.fs.net;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.NodeIdentity;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.fs.node.StorageRoot;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.VolumeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The members' records as a node reads and writes them, on a real storage root. */
class MemberRecordsTest {
    private static final String OTHER = "0123456789abcdef0123456789abcdef";
    private static final String LIAR = "fedcba9876543210fedcba9876543210";

    @TempDir Path root;
    @TempDir Path otherKeys;

    @Test
    void ourAddressesGoIntoOurRecordOnceAndOthersAreReadBackWithoutTheGarbage() throws Exception {
        NodeIdentity self = StorageRoot.create(root, VolumeConfig.create("vol"));
        NodeKeys other = NodeKeys.loadOrCreate(otherKeys, "other");
        try (NamespaceStore store = NamespaceStore.open(root, self.nodeId())) {
            MemberRecords records = new MemberRecords(store, self.nodeId());
            records.publish(List.of(HostPort.parse("10.0.0.1:7000"), HostPort.parse("10.0.0.1:7000")));
            String head = store.head().name();
            records.publish(List.of(HostPort.parse("10.0.0.1:7000")));
            assertThat(store.head().name()).as("the same addresses commit nothing").isEqualTo(head);
            String ours = new String(store.files("nodes/" + self.nodeId() + ".json")
                    .get("nodes/" + self.nodeId() + ".json"), StandardCharsets.UTF_8);
            assertThat(ours).contains("\"addresses\"", "10.0.0.1:7000", "\"nodeId\"", "\"hostname\"");

            store.putFiles(Map.of(
                    "nodes/" + OTHER + ".json", ("{\"nodeId\":\"" + OTHER + "\",\"addresses\":[\"10.0.0.2:7000\","
                            + "\"0.0.0.0:7000\",\"224.0.0.251:5353\",\"no port\",\"bad host!:1\",\"10.0.0.3:99999\","
                            + "\"nas.example.org:7001\",\"[::1]:7002\"]}").getBytes(StandardCharsets.UTF_8),
                    "nodes/" + OTHER + ".pub", (other.publicKeyOpenSsh() + "\n").getBytes(StandardCharsets.US_ASCII),
                    "nodes/" + LIAR + ".json", "not json at all".getBytes(StandardCharsets.UTF_8)));

            assertThat(records.addresses()).containsOnlyKeys(OTHER);
            assertThat(records.addresses().get(OTHER)).containsExactly(HostPort.parse("10.0.0.2:7000"),
                    HostPort.parse("nas.example.org:7001"), HostPort.parse("[::1]:7002"));
            assertThat(records.nodeOfKey(other.fingerprint())).contains(OTHER);
            assertThat(records.nodeOfKey(NodeKeys.load(root).fingerprint())).contains(self.nodeId());
            assertThat(records.nodeOfKey("SHA256:nobody")).isEmpty();
        }
    }

    @Test
    void onlyDialableAddressesPass() {
        assertThat(MemberRecords.dialable("192.168.1.5:7000")).isEqualTo(HostPort.parse("192.168.1.5:7000"));
        for (String bad : List.of("0.0.0.0:7000", "[::]:7000", "239.1.2.3:7000", "host name:7000", "x:0",
                "-bad-.example:7000", "7000")) {
            assertThatThrownBy(() -> MemberRecords.dialable(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
