package dev.delugefs.metadata;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.RefSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The random replicas of {@link NamespaceMergeRandomTest} as real stores: commits, fetches over JGit's file
 * transport, criss-cross merge bases found by RevWalk, deterministic merge commits.
 */
class StoreMergeRandomTest {

    private static final String[] NODES = {"1".repeat(32), "2".repeat(32), "3".repeat(32)};

    @TempDir
    Path tmp;

    private Path gitDir(int i) {
        return tmp.resolve("n" + i).resolve("meta.git");
    }

    private ObjectId fetch(int into, int from) throws Exception {
        try (Git git = Git.open(gitDir(into).toFile())) {
            String ref = "refs/remotes/n" + from + "/main";
            git.fetch().setRemote(gitDir(from).toUri().toString()).setRefSpecs(new RefSpec("+refs/heads/main:" + ref))
                    .call();
            return git.getRepository().exactRef(ref).getObjectId();
        }
    }

    @Test
    void storesConvergeToOneHead() throws Exception {
        Random random = new Random(7);
        NamespaceStore[] stores = new NamespaceStore[3];
        Hlc[] clocks = {new Hlc(), new Hlc(), new Hlc()};
        try {
            stores[0] = NamespaceStore.create(tmp.resolve("n0"), VolumeConfig.create("rnd"), NODES[0],
                    NamespaceMergeTest.dir(clocks[0].now(), NODES[0]), 10);
            stores[0].record(List.of(new Change("/d1", NamespaceMergeTest.dir(clocks[0].now(), NODES[0]))));
            stores[0].sync();
            for (int i = 1; i < 3; i++) {
                try (Git clone = Git.cloneRepository().setBare(true).setURI(gitDir(0).toUri().toString())
                        .setDirectory(gitDir(i).toFile()).call()) {
                    StoredConfig config = clone.getRepository().getConfig();
                    config.setInt("gc", null, "auto", 0);
                    config.save();
                }
                stores[i] = NamespaceStore.open(tmp.resolve("n" + i), NODES[i], 10);
            }
            for (int step = 0; step < 200; step++) {
                int i = random.nextInt(3);
                if (random.nextInt(10) < 6) {
                    List<Change> op = NamespaceMergeRandomTest.operation(random, stores[i].snapshot(), clocks[i], NODES[i]);
                    if (!op.isEmpty()) {
                        stores[i].record(op);
                    }
                } else {
                    merge(stores, clocks, i, random.nextInt(3));
                }
            }
            for (int round = 0; round < 6 && !converged(stores); round++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        merge(stores, clocks, i, j);
                    }
                }
            }
            assertThat(stores[1].head()).isEqualTo(stores[0].head());
            assertThat(stores[2].head()).isEqualTo(stores[0].head());
            assertThat(stores[1].snapshot()).isEqualTo(stores[0].snapshot());
            NamespaceMergeTest.assertTreeRule(stores[0].snapshot());
        } finally {
            for (NamespaceStore s : stores) {
                if (s != null) {
                    s.close();
                }
            }
        }
        if (Fixtures.gitAvailable()) {
            for (int i = 0; i < 3; i++) {
                Fixtures.git(gitDir(i), "fsck", "--strict", "--no-dangling");
            }
        }
    }

    private void merge(NamespaceStore[] stores, Hlc[] clocks, int into, int from) throws Exception {
        if (into == from) {
            return;
        }
        stores[from].sync();
        MergeResult r = stores[into].mergeFrom(fetch(into, from));
        r.changes().forEach(c -> clocks[into].observe(c.record().clock()));
    }

    private static boolean converged(NamespaceStore[] stores) throws Exception {
        for (NamespaceStore s : stores) {
            s.sync();
        }
        return stores[0].head().equals(stores[1].head()) && stores[1].head().equals(stores[2].head());
    }
}
