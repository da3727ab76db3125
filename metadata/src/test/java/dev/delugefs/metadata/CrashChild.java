package dev.delugefs.metadata;

import java.nio.file.Path;
import java.util.List;

/**
 * Run in a separate JVM by {@link JournalTest}: opens a store that never commits on its own, records
 * calls, says so, then waits to be killed with SIGKILL.
 */
public final class CrashChild {

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int calls = Integer.parseInt(args[1]);
        NamespaceStore store = NamespaceStore.open(root, Fixtures.NODE, 3_600_000);
        for (int i = 0; i < calls; i++) {
            store.record(List.of(new Change("/child" + i, Fixtures.file(i))));
        }
        System.out.println("recorded");
        System.out.flush();
        Thread.sleep(600_000);
    }
}
