package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Records and stores for the store tests. */
final class Fixtures {

    static final String NODE = "00112233445566778899aabbccddeeff";
    private static final AtomicLong CLOCK = new AtomicLong(1_000_000);

    private Fixtures() {
    }

    static Record dir() {
        return Record.builder(Record.Type.DIR).mode(0755).clock(CLOCK.incrementAndGet()).writer(NODE).build();
    }

    static Record file(long size) {
        byte[] pieces = new byte[size == 0 ? 0 : 20];
        return Record.builder(Record.Type.FILE).mode(0644).size(size).mtime(CLOCK.get()).clock(CLOCK.incrementAndGet())
                .content(size == 0 ? null : new Record.Content("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", 1 << 20, pieces))
                .writer(NODE).build();
    }

    static Record tombstone() {
        return Record.tombstone(CLOCK.incrementAndGet(), NODE);
    }

    static Change change(String path, Record record) {
        return new Change(path, record);
    }

    static NamespaceStore create(Path root, long delayMillis) throws IOException {
        return NamespaceStore.create(root, VolumeConfig.create("test"), NODE, dir(), delayMillis);
    }

    static void record(NamespaceStore store, Change... changes) {
        store.record(List.of(changes));
    }

    static String git(Path gitDir, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 2];
        command[0] = "git";
        command[1] = "--git-dir=" + gitDir;
        System.arraycopy(args, 0, command, 2, args.length);
        // stderr apart: git warns that core.fsyncObjectFiles (which JGit reads) is deprecated in favour of core.fsync
        Path err = java.nio.file.Files.createTempFile("git", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out + java.nio.file.Files.readString(err));
            }
            return out;
        } finally {
            java.nio.file.Files.delete(err);
        }
    }

    static boolean gitAvailable() {
        try {
            return new ProcessBuilder("git", "--version").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Follows first parents from main to the root commit, with JGit so the test needs no git CLI. */
    static ObjectId rootCommit(Path gitDir) throws IOException {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo)) {
            RevCommit c = walk.parseCommit(repo.resolve("refs/heads/main"));
            while (c.getParentCount() > 0) {
                c = walk.parseCommit(c.getParent(0));
            }
            return c.copy();
        }
    }

    /** Blob paths of the tree at main. */
    static List<String> treePaths(Path gitDir) throws IOException {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            tree.addTree(walk.parseCommit(repo.resolve("refs/heads/main")).getTree());
            tree.setRecursive(true);
            List<String> paths = new java.util.ArrayList<>();
            while (tree.next()) {
                paths.add(tree.getPathString());
            }
            return paths;
        }
    }

    static int commitCount(Path gitDir) throws IOException {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo)) {
            walk.markStart(walk.parseCommit(repo.resolve("refs/heads/main")));
            int n = 0;
            while (walk.next() != null) {
                n++;
            }
            return n;
        }
    }
}
