package dev.delugefs.metadata;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.Deflater;

/**
 * The bare repository {@code ROOT/meta.git}: the genesis commit, reading a commit back into records,
 * and moving {@code main} by compare-and-swap.
 *
 * <p>Objects of one commit go into one pack, fsynced once (core.fsyncObjectFiles), instead of one
 * loose file per record: the journal segments a commit covers are deleted right after it, so the
 * commit must be on disk by then, and one fsync per commit is affordable where one per record is not.
 * Packs pile up, so they are compacted by a gc now and then (auto-gc stays off, as DESIGN §10 says).
 */
final class MetaRepo implements Closeable {

    static final String MAIN = Constants.R_HEADS + "main";

    private static final Logger LOG = LoggerFactory.getLogger(MetaRepo.class);
    private static final PersonIdent GENESIS_AUTHOR =
            new PersonIdent("delugefs", "genesis@delugefs", Instant.EPOCH, ZoneOffset.UTC);
    /** The same commit for every volume ever created, so all histories share a root and any two nodes merge. */
    static final ObjectId GENESIS = genesisId();
    private static final int PACKS_BEFORE_GC = 64;

    private final FileRepository repo;
    private final ReentrantReadWriteLock packs = new ReentrantReadWriteLock();

    private MetaRepo(FileRepository repo) {
        this.repo = repo;
    }

    /** A new bare repo whose {@code main} is the genesis commit. */
    static MetaRepo init(Path gitDir) throws IOException {
        MetaRepo meta = initEmpty(gitDir);
        try {
            try (ObjectInserter inserter = meta.newInserter()) {
                ObjectId emptyTree = inserter.insert(Constants.OBJ_TREE, new byte[0]);
                ObjectId genesis = inserter.insert(genesisCommit(emptyTree));
                inserter.flush();
                if (!genesis.equals(GENESIS)) {
                    throw new IllegalStateException("genesis commit " + genesis.name() + " differs from " + GENESIS.name());
                }
                meta.moveMain(null, genesis);
            }
        } catch (IOException | RuntimeException e) {
            meta.close();
            throw e;
        }
        return meta;
    }

    /** A new bare repo with HEAD naming {@code main}, which does not exist yet (a clone fetches it). */
    static MetaRepo initEmpty(Path gitDir) throws IOException {
        if (Files.exists(gitDir)) {
            throw new IOException("refusing to create a volume: " + gitDir + " already exists");
        }
        FileRepository repo = (FileRepository) new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setBare().build();
        repo.create(true);
        MetaRepo meta = new MetaRepo(repo);
        try {
            configure(repo.getConfig());
            RefUpdate head = repo.getRefDatabase().newUpdate(Constants.HEAD, false);
            checkResult(head.link(MAIN), head, "point HEAD at " + MAIN);
        } catch (IOException | RuntimeException e) {
            meta.close();
            throw e;
        }
        return meta;
    }

    /** Sets what every store needs and saves the config if anything was missing. */
    private static void configure(StoredConfig config) throws IOException {
        boolean changed = set(config, "gc", "auto", "0");
        // a fetch runs JGit's auto-gc when this is not 0, and that gc raced the committer for main's lock
        changed |= set(config, "gc", "autopacklimit", "0");
        // and a fetch starts that check on a background thread unless told not to; the committer compacts
        changed |= set(config, "fetch", "autogc", "false");
        changed |= set(config, "core", "fsyncObjectFiles", "true");
        changed |= set(config, "core", "fsyncRefFiles", "true");
        // packs replaced by a gc go at once; the default keeps them an hour, and ours pile up every 200 ms
        changed |= set(config, "gc", "prunePackExpire", "now");
        if (changed) {
            config.save();
        }
    }

    private static boolean set(StoredConfig config, String section, String name, String value) {
        if (value.equals(config.getString(section, null, name))) {
            return false;
        }
        config.setString(section, null, name, value);
        return true;
    }

    /** Opens an existing repo, setting the config every store needs (repos cloned by other tools lack it). */
    static MetaRepo open(Path gitDir) throws IOException {
        MetaRepo meta = openReadOnly(gitDir);
        try {
            configure(meta.repo.getConfig());
        } catch (IOException | RuntimeException e) {
            meta.close();
            throw e;
        }
        return meta;
    }

    /** Opens an existing repo; writes nothing. */
    static MetaRepo openReadOnly(Path gitDir) throws IOException {
        if (!Files.isDirectory(gitDir) || !Files.isRegularFile(gitDir.resolve(Constants.HEAD))) {
            throw new IOException("no DelugeFS volume here: " + gitDir + " is missing or is not a Git repository");
        }
        return new MetaRepo((FileRepository) new FileRepositoryBuilder().setGitDir(gitDir.toFile())
                .setMustExist(true).build());
    }

    private static ObjectId genesisId() {
        try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
            return f.idFor(Constants.OBJ_COMMIT, genesisCommit(f.idFor(Constants.OBJ_TREE, new byte[0])).build());
        } catch (UnsupportedEncodingException e) {
            throw new AssertionError("UTF-8 is always supported", e);
        }
    }

    private static CommitBuilder genesisCommit(ObjectId emptyTree) {
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(emptyTree);
        c.setAuthor(GENESIS_AUTHOR);
        c.setCommitter(GENESIS_AUTHOR);
        c.setMessage("genesis\n");
        return c;
    }

    /** The commit {@code main} points at, or null if there is no {@code main}. */
    ObjectId head() throws IOException {
        Ref ref = repo.exactRef(MAIN);
        return ref == null ? null : ref.getObjectId();
    }

    ObjectInserter newInserter() {
        PackInserter inserter = repo.getObjectDatabase().newPackInserter();
        // records are small and many; level 1 packs them almost as tightly as 9, much faster
        inserter.setCompressionLevel(Deflater.BEST_SPEED);
        // only changed objects reach the inserter (TreeIndex caches ids), and asking the object
        // directory about each new object costs a pack-directory rescan per miss
        inserter.checkExisting(false);
        return inserter;
    }

    /** Inserts a commit of {@code tree} on top of {@code parent}, flushes the pack and moves main from parent to it. */
    ObjectId commit(ObjectInserter inserter, ObjectId parent, ObjectId tree, PersonIdent who, String message)
            throws IOException {
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(tree);
        c.setParentId(parent);
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage(message);
        ObjectId id = inserter.insert(c);
        inserter.flush();
        moveMain(parent, id);
        return id;
    }

    /**
     * Compare-and-swap to a commit that need not contain {@code expected}: only for a head with the same tree
     * whose history lacks nothing but merge commits (GitMerge's ADOPTED).
     */
    void replaceMain(ObjectId expected, ObjectId to) throws IOException {
        RefUpdate update = repo.updateRef(MAIN);
        update.setExpectedOldObjectId(expected);
        update.setNewObjectId(to);
        update.setForceUpdate(true);
        update.setRefLogMessage("delugefs adopt", false);
        RefUpdate.Result result = update.update();
        if (result != RefUpdate.Result.FAST_FORWARD && result != RefUpdate.Result.FORCED) {
            throw new IOException("could not move " + MAIN + " from " + expected.name() + " to " + to.name() + ": "
                    + result);
        }
    }

    /** Compare-and-swap: fails, rather than overwrites, if main is no longer {@code expected}. */
    void moveMain(ObjectId expected, ObjectId to) throws IOException {
        RefUpdate update = repo.updateRef(MAIN);
        update.setExpectedOldObjectId(expected == null ? ObjectId.zeroId() : expected);
        update.setNewObjectId(to);
        update.setRefLogMessage("delugefs commit", false);
        RefUpdate.Result result = update.update();
        if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FAST_FORWARD) {
            throw new IOException("could not move " + MAIN + " from " + (expected == null ? "nothing" : expected.name())
                    + " to " + to.name() + ": " + result);
        }
    }

    private static void checkResult(RefUpdate.Result result, RefUpdate update, String what) throws IOException {
        if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED && result != RefUpdate.Result.NO_CHANGE) {
            throw new IOException("could not " + what + ": " + result + " (" + update.getName() + ")");
        }
    }

    /**
     * Everything a commit holds: the volume config, the records under ns/, the other blobs (volume.json,
     * nodes/...) by tree path, the committer's time in seconds, and the tree as an index.
     */
    record Content(ObjectId commit, ObjectId tree, VolumeConfig volume, NavigableMap<String, Record> records,
                   NavigableMap<String, ObjectId> files, int time, TreeIndex index) {
    }

    int commitTime(ObjectId commitId) throws IOException {
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.parseCommit(commitId).getCommitTime();
        }
    }

    ObjectReader newReader() {
        return repo.newObjectReader();
    }

    Content read(ObjectId commitId) throws IOException {
        return read(commitId, null);
    }

    /**
     * As {@link #read(ObjectId)}, taking every subtree whose id {@code like} already has from {@code like}
     * instead of reading its blobs again: a merge reads the base and the peer's head at the cost of what
     * differs from ours, not of the whole namespace.
     */
    Content read(ObjectId commitId, Content like) throws IOException {
        try (ObjectReader reader = repo.newObjectReader(); RevWalk walk = new RevWalk(reader)) {
            RevCommit commit = walk.parseCommit(commitId);
            Loader loader = new Loader(reader, commitId, like);
            TreeIndex index = new TreeIndex();
            loader.readTree(commit.getTree(), "", index.root(), like == null ? null : like.index().root());
            if (loader.volume == null) {
                throw new IOException("not a DelugeFS volume repository: commit " + commitId.name() + " of "
                        + repo.getDirectory() + " has no " + VolumeConfig.FILE_NAME);
            }
            return new Content(commit.copy(), commit.getTree().copy(), loader.volume, loader.records, loader.files,
                    commit.getCommitTime(), index);
        }
    }

    /** Walks a commit's trees by hand, so every tree's id goes into the index and unchanged trees are never rewritten. */
    private static final class Loader {
        private final ObjectReader reader;
        private final ObjectId commit;
        private final TreeMap<String, Record> records = new TreeMap<>();
        private final TreeMap<String, ObjectId> files = new TreeMap<>();
        private VolumeConfig volume;

        private final Content like;

        Loader(ObjectReader reader, ObjectId commit, Content like) {
            this.reader = reader;
            this.commit = commit;
            this.like = like;
        }

        void readTree(ObjectId treeId, String prefix, TreeIndex.Dir dir, TreeIndex.Dir known) throws IOException {
            if (known != null && treeId.equals(known.id())) {
                dir.copyFrom(known);
                reuse(prefix);
                return;
            }
            for (CanonicalTreeParser p = new CanonicalTreeParser(null, reader, treeId); !p.eof(); p.next()) {
                // tree names as ISO-8859-1: one char per byte, so any name survives being written back
                String name = new String(p.getEntryPathBuffer(), 0, p.getEntryPathLength(), StandardCharsets.ISO_8859_1);
                String path = prefix.isEmpty() ? name : prefix + "/" + name;
                int mode = p.getEntryRawMode();
                if (mode == FileMode.TREE.getBits()) {
                    readTree(p.getEntryObjectId(), path, dir.subdir(name), known == null ? null : known.existingSubdir(name));
                } else if (mode == FileMode.REGULAR_FILE.getBits()) {
                    ObjectId blob = p.getEntryObjectId();
                    dir.putBlob(name, blob);
                    readBlob(path, blob);
                } else {
                    throw new IOException("commit " + commit.name() + ": " + path + " is not a regular file or a tree");
                }
            }
            dir.setId(treeId);
        }

        /** Takes what {@code like} holds under a tree path whose tree it has with the same id. */
        private void reuse(String prefix) {
            if (prefix.isEmpty()) {
                records.putAll(like.records());
                files.putAll(like.files());
                volume = like.volume();
            } else if (prefix.equals(TreePaths.NS)) {
                records.putAll(like.records());
            } else if (prefix.startsWith(TreePaths.NS + "/")) {
                String raw = TreePaths.rawPathOf(prefix + "/" + TreePaths.DIR_ENTRY);
                Record self = like.records().get(raw);
                if (self != null) {
                    records.put(raw, self);
                }
                records.putAll(like.records().subMap(raw + "/", TreePaths.subtreeEnd(raw)));
            } else {
                files.putAll(like.files().subMap(prefix + "/", TreePaths.subtreeEnd(prefix)));
            }
        }

        private void readBlob(String path, ObjectId blob) throws IOException {
            if (!path.startsWith(TreePaths.NS + "/")) {
                files.put(path, blob.copy());
            }
            try {
                if (path.equals(VolumeConfig.FILE_NAME)) {
                    volume = VolumeConfig.fromJson(reader.open(blob, Constants.OBJ_BLOB).getCachedBytes());
                } else if (path.startsWith(TreePaths.NS + "/")) {
                    readRecord(path, blob);
                }
            } catch (IllegalArgumentException e) {
                throw new IOException("commit " + commit.name() + ": bad " + path + ": " + e.getMessage(), e);
            }
        }

        private void readRecord(String path, ObjectId blob) throws IOException {
            Record record = RecordJson.fromJson(reader.open(blob, Constants.OBJ_BLOB).getCachedBytes());
            boolean dirEntry = TreePaths.isDirEntry(path);
            if (dirEntry != (record.type() == Record.Type.DIR)) {
                throw new IllegalArgumentException("a " + record.type().json() + " record "
                        + (dirEntry ? "in a %dir entry" : "outside a %dir entry"));
            }
            records.put(TreePaths.rawPathOf(path), record);
        }
    }

    /** Work that reads or adds packs while the committer may compact them. */
    interface PackWork<T> {
        T run(Repository repository) throws IOException;
    }

    /**
     * Runs a fetch or an upload with the repository, never while a gc deletes the packs it replaced: a pack
     * a fetch is still writing, or one an upload is still reading, must not vanish under it.
     */
    <T> T withPacks(PackWork<T> work) throws IOException {
        packs.readLock().lock();
        try {
            return work.run(repo);
        } finally {
            packs.readLock().unlock();
        }
    }

    /** Whether {@code commit} is here and {@code head} contains it. */
    boolean contains(ObjectId head, ObjectId commit) throws IOException {
        if (head == null || !repo.getObjectDatabase().has(commit)) {
            return false;
        }
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.isMergedInto(walk.parseCommit(commit), walk.parseCommit(head));
        } catch (IncorrectObjectTypeException e) {
            return false;
        }
    }

    /** The blobs outside {@code ns/} whose tree path starts with {@code prefix}, with their bytes. */
    NavigableMap<String, byte[]> files(ObjectId commitId, String prefix) throws IOException {
        TreeMap<String, byte[]> found = new TreeMap<>();
        try (ObjectReader reader = repo.newObjectReader(); RevWalk walk = new RevWalk(reader);
             TreeWalk tree = new TreeWalk(reader)) {
            tree.addTree(walk.parseCommit(commitId).getTree());
            while (tree.next()) {
                String path = tree.getPathString();
                if (tree.isSubtree()) {
                    // the namespace is most of the repo and none of it is a file here
                    if (!path.equals(TreePaths.NS) && (prefix.startsWith(path + "/") || path.startsWith(prefix))) {
                        tree.enterSubtree();
                    }
                } else if (path.startsWith(prefix)) {
                    found.put(path, reader.open(tree.getObjectId(0), Constants.OBJ_BLOB).getCachedBytes());
                }
            }
        }
        return found;
    }

    /** Folds the one-pack-per-commit piles into one pack; called by the committer between commits. */
    void compactIfNeeded() {
        int count = repo.getObjectDatabase().getPacks().size();
        if (count < PACKS_BEFORE_GC) {
            return;
        }
        // a fetch or upload holds the packs; the next commit tries again
        if (!packs.writeLock().tryLock()) {
            return;
        }
        long start = System.nanoTime();
        try {
            Git.wrap(repo).gc().call();
            LOG.info("compacted {} packs of {} in {} ms", count, repo.getDirectory(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (GitAPIException | RuntimeException e) {
            LOG.warn("gc of {} failed; packs keep piling up until a later gc succeeds", repo.getDirectory(), e);
        } finally {
            packs.writeLock().unlock();
        }
    }

    Path directory() {
        return repo.getDirectory().toPath();
    }

    @Override
    public void close() {
        repo.close();
    }
}
