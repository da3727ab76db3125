package dev.delugefs.metadata;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.RefSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The files outside ns/ and the shape of the merge commit, on two repos made by hand. */
class GitMergeTest {

    private static final String NODE_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    @TempDir
    Path tmp;

    /** Commits one blob on top of main, with a chosen commit time. */
    private static ObjectId commit(MetaRepo repo, String treePath, byte[] blob, long epochSecond) throws Exception {
        MetaRepo.Content head = repo.read(repo.head());
        TreeIndex index = head.index();
        try (ObjectInserter inserter = repo.newInserter()) {
            index.putBlob(treePath, inserter.insert(Constants.OBJ_BLOB, blob));
            ObjectId tree = index.write(inserter);
            PersonIdent who = new PersonIdent("t", "t@t", Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
            return repo.commit(inserter, head.commit(), tree, who, treePath + "\n");
        }
    }

    @Test
    void nodeFilesAreUnitedAndTheNewerVolumeConfigWins() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Fixtures.create(a, 20).close();
        try (Git clone = Git.cloneRepository().setBare(true).setURI(a.resolve("meta.git").toUri().toString())
                .setDirectory(b.resolve("meta.git").toFile()).call()) {
            clone.getRepository().getConfig().setInt("gc", null, "auto", 0);
            clone.getRepository().getConfig().save();
        }
        try (MetaRepo ra = MetaRepo.open(a.resolve("meta.git")); MetaRepo rb = MetaRepo.open(b.resolve("meta.git"))) {
            VolumeConfig v = ra.read(ra.head()).volume();
            VolumeConfig three = new VolumeConfig(v.name(), v.id(), 3, v.pieceLength(), v.createdAt());
            VolumeConfig four = new VolumeConfig(v.name(), v.id(), 4, v.pieceLength(), v.createdAt());
            commit(ra, VolumeConfig.FILE_NAME, three.toJson(), 2_000_000_000L);
            commit(rb, VolumeConfig.FILE_NAME, four.toJson(), 1_900_000_000L);
            commit(rb, TreePaths.nodeFile(NODE_B), "{\"nodeId\":\"b\"}\n".getBytes(StandardCharsets.UTF_8),
                    1_900_000_001L);
            try (Git git = Git.open(a.resolve("meta.git").toFile())) {
                git.fetch().setRemote(b.resolve("meta.git").toUri().toString())
                        .setRefSpecs(new RefSpec("+refs/heads/main:refs/remotes/b/main")).call();
            }
            try (Git git = Git.open(b.resolve("meta.git").toFile())) {
                git.fetch().setRemote(a.resolve("meta.git").toUri().toString())
                        .setRefSpecs(new RefSpec("+refs/heads/main:refs/remotes/a/main")).call();
            }
            ObjectId headA = ra.head();
            ObjectId headB = rb.head();
            GitMerge.Outcome onA = GitMerge.merge(ra, headA, headB);
            GitMerge.Outcome onB = GitMerge.merge(rb, headB, headA);

            assertThat(onA.kind()).isEqualTo(GitMerge.Kind.MERGED);
            assertThat(onA.content().commit()).isEqualTo(onB.content().commit());
            assertThat(onA.content().volume()).isEqualTo(three);
            assertThat(onB.content().volume()).isEqualTo(three);
            assertThat(onA.content().files()).containsOnlyKeys(VolumeConfig.FILE_NAME,
                    TreePaths.nodeFile(Fixtures.NODE), TreePaths.nodeFile(NODE_B));
            assertThat(onA.content().time()).isEqualTo(2_000_000_000);
            assertThat(GitMerge.merge(ra, headA, headA).kind()).isEqualTo(GitMerge.Kind.UP_TO_DATE);
            assertThat(GitMerge.merge(ra, headA, ra.read(headA).commit()).content()).isNull();
            ra.moveMain(headA, onA.content().commit());
            assertThat(GitMerge.merge(ra, onA.content().commit(), headB).kind()).isEqualTo(GitMerge.Kind.UP_TO_DATE);
            assertThat(GitMerge.merge(rb, headB, onA.content().commit()).kind()).isEqualTo(GitMerge.Kind.FAST_FORWARD);
        }
        if (Fixtures.gitAvailable()) {
            Fixtures.git(a.resolve("meta.git"), "fsck", "--strict", "--no-dangling");
            assertThat(Fixtures.treePaths(a.resolve("meta.git"))).contains("nodes/" + NODE_B + ".json");
        }
    }

    @Test
    void readingLikeAnotherCommitEqualsAFullRead() throws Exception {
        Path root = tmp.resolve("r");
        ObjectId first;
        ObjectId second;
        try (NamespaceStore store = Fixtures.create(root, 20)) {
            java.util.List<Change> changes = new java.util.ArrayList<>();
            for (int d = 0; d < 5; d++) {
                changes.add(new Change("/d" + d, Fixtures.dir()));
                for (int f = 0; f < 20; f++) {
                    changes.add(new Change("/d" + d + "/f" + f, Fixtures.file(f)));
                }
            }
            store.record(changes);
            store.sync();
            first = store.head();
            store.record(java.util.List.of(new Change("/d1/f3", Fixtures.file(99)), new Change("/d2", Fixtures.tombstone()),
                    new Change("/d4/new", Fixtures.dir()), new Change("/top", Fixtures.file(1))));
            store.sync();
            second = store.head();
        }
        try (MetaRepo repo = MetaRepo.open(root.resolve("meta.git"))) {
            MetaRepo.Content full = repo.read(second);
            for (ObjectId like : java.util.List.of(first, second)) {
                MetaRepo.Content fast = repo.read(second, repo.read(like));
                assertThat(fast.records()).isEqualTo(full.records());
                assertThat(fast.files()).isEqualTo(full.files());
                assertThat(fast.volume()).isEqualTo(full.volume());
                assertThat(fast.index().files()).isEqualTo(full.files());
                try (ObjectInserter inserter = repo.newInserter()) {
                    Change edit = new Change("/d0/f0", Fixtures.file(5));
                    fast.index().apply(edit);
                    full.index().apply(edit);
                    assertThat(fast.index().write(inserter)).isEqualTo(full.index().write(inserter));
                }
            }
        }
    }

    /** Commits one blob on top of {@code parent} without moving main: a branch of history made by hand. */
    private static ObjectId commitOn(MetaRepo repo, ObjectId parent, String treePath, long epochSecond)
            throws Exception {
        TreeIndex index = repo.read(parent).index();
        try (ObjectInserter inserter = repo.newInserter()) {
            index.putBlob(treePath, inserter.insert(Constants.OBJ_BLOB, "{}\n".getBytes(StandardCharsets.UTF_8)));
            ObjectId tree = index.write(inserter);
            PersonIdent who = new PersonIdent("t", "t@t", Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
            org.eclipse.jgit.lib.CommitBuilder c = new org.eclipse.jgit.lib.CommitBuilder();
            c.setTreeId(tree);
            c.setParentIds(parent);
            c.setAuthor(who);
            c.setCommitter(who);
            c.setMessage(treePath + "\n");
            ObjectId id = inserter.insert(c);
            inserter.flush();
            return id;
        }
    }

    /** The merge commit GitMerge makes of two heads, written but not on main. */
    private static ObjectId merged(MetaRepo repo, ObjectId ours, ObjectId theirs) throws Exception {
        GitMerge.Outcome outcome = GitMerge.merge(repo, ours, theirs);
        assertThat(outcome.kind()).isEqualTo(GitMerge.Kind.MERGED);
        return outcome.content().commit();
    }

    @Test
    void headsWithTheSameTreeAndOnlyMergesApartSettleOnTheGreaterCommit() throws Exception {
        Path a = tmp.resolve("a");
        Fixtures.create(a, 20).close();
        try (MetaRepo repo = MetaRepo.open(a.resolve("meta.git"))) {
            ObjectId base = repo.head();
            ObjectId x = commitOn(repo, base, TreePaths.nodeFile("1".repeat(32)), 1_900_000_001L);
            ObjectId y = commitOn(repo, base, TreePaths.nodeFile("2".repeat(32)), 1_900_000_002L);
            ObjectId z = commitOn(repo, base, TreePaths.nodeFile("3".repeat(32)), 1_900_000_003L);
            // two nodes that merged the same three heads in other orders
            ObjectId one = merged(repo, merged(repo, x, y), z);
            ObjectId two = merged(repo, merged(repo, x, z), y);
            assertThat(one).isNotEqualTo(two);
            assertThat(repo.read(one).tree()).isEqualTo(repo.read(two).tree());

            ObjectId greater = one.compareTo(two) > 0 ? one : two;
            ObjectId lesser = greater.equals(one) ? two : one;
            GitMerge.Outcome onLesser = GitMerge.merge(repo, lesser, greater);
            assertThat(onLesser.kind()).isEqualTo(GitMerge.Kind.ADOPTED);
            assertThat(onLesser.content().commit()).isEqualTo(greater);
            assertThat(GitMerge.merge(repo, greater, lesser).kind()).isEqualTo(GitMerge.Kind.UP_TO_DATE);

            // a change of its own on the lesser side, even one that leaves the tree as it was, is merged
            ObjectId own = commitOn(repo, lesser, TreePaths.nodeFile("3".repeat(32)), 1_900_000_009L);
            assertThat(repo.read(own).tree()).isEqualTo(repo.read(greater).tree());
            assertThat(GitMerge.merge(repo, own, greater).kind()).isEqualTo(GitMerge.Kind.MERGED);
            assertThat(GitMerge.merge(repo, greater, own).kind()).isEqualTo(GitMerge.Kind.MERGED);
        }
    }
}
