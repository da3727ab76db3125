package dev.delugefs.nativetests;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Each test gets its own sandbox and a freshly created volume mounted in it. After the test the node
 * must stop cleanly on SIGTERM (exit 0, unmounted): every test thereby also checks shutdown.
 */
abstract class MountedTest {
    protected Sandbox sandbox;
    protected NodeProcess node;
    protected Path mnt;

    @BeforeEach
    void startNode(TestInfo info) {
        sandbox = Sandbox.create(getClass().getSimpleName() + "-" + info.getTestMethod().orElseThrow().getName());
        node = sandbox.newVolume("vol");
        mnt = node.mountpoint();
    }

    @AfterEach
    void stopNode() {
        try {
            if (node != null && node.running()) {
                node.stop();
            }
        } finally {
            if (sandbox != null) {
                sandbox.close();
            }
        }
    }
}
