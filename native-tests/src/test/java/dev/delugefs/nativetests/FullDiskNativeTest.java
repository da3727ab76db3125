package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** A storage disk that fills up: writers get ENOSPC, nothing already stored is lost, rm gives space back. */
class FullDiskNativeTest {
    private Sandbox sandbox;
    private Path disk;

    @BeforeEach
    void smallDisk(TestInfo info) {
        sandbox = Sandbox.create("FullDisk-" + info.getTestMethod().orElseThrow().getName());
        disk = sandbox.newDir("disk");
        Cmd.of("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", disk.toString()).ok();
    }

    @AfterEach
    void cleanup() {
        try {
            sandbox.close();
        } finally {
            Cmd.of("umount", "-l", disk.toString()).run();
        }
    }

    @Test
    void writersGetEnospcNothingIsLostAndDeletesGiveSpaceBack() throws Exception {
        NodeProcess node = NodeProcess.configure(sandbox, "vol", disk.resolve("root"), sandbox.path("mnt"));
        node.create("--gc-retention", "1");
        byte[] kept = Data.random(5, 4 * Data.MIB);
        Data.write(node.p("kept"), kept);

        String filling = Py.errno("""
                with open(p[0], 'wb') as f:
                    while True:
                        f.write(os.urandom(1 << 20))
                """, Py.bytes(node.p("big")));
        assertThat(filling).as("writing past the end of the disk").isEqualTo("ENOSPC");

        // the namespace still works on a full disk, and what was stored is intact
        assertThat(Data.sha256(node.p("kept"))).isEqualTo(Data.sha256(kept));
        Files.createDirectory(node.p("still-works"));
        Files.write(node.p("still-works/empty"), new byte[0]);

        Files.delete(node.p("big"));
        byte[] after = Data.random(6, 16 * Data.MIB);
        long deadline = System.nanoTime() + 20_000_000_000L;
        String again;
        do {
            NodeProcess.sleep(250);
            again = Py.errno("""
                    with open(p[0], 'wb') as f:
                        for i in range(16):
                            f.write(b'x' * (1 << 20))
                    """, Py.bytes(node.p("after")));
        } while (!again.equals("OK") && System.nanoTime() < deadline);
        assertThat(again).as("16 MiB fit again once the deleted file's content was collected").isEqualTo("OK");
        Data.write(node.p("after"), after);

        node.restart();
        assertThat(Data.sha256(node.p("kept"))).isEqualTo(Data.sha256(kept));
        assertThat(Data.sha256(node.p("after"))).isEqualTo(Data.sha256(after));
        assertThat(node.p("big")).doesNotExist();
        assertThat(node.p("still-works/empty")).exists();
        node.stop();
    }
}
