package dev.delugefs.metadata;

import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The persistent namespace of one node: the live state in memory, every change journaled before
 * {@link #record} returns, and Git commits of the journal made in groups by a background thread.
 *
 * <p>Layout under the storage root: {@code meta.git/} (bare, branch {@code main}) and {@code journal/}.
 * One store per root: a lock file in {@code journal/} refuses a second one.
 */
public final class NamespaceStore implements Closeable {

    /** How long changes wait to be grouped into one commit. */
    public static final long DEFAULT_COMMIT_DELAY_MILLIS = 200;

    static final String GIT_DIR = "meta.git";
    static final String JOURNAL_DIR = "journal";
    private static final String LOCK_FILE = "lock";
    private static final Pattern NODE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceStore.class);
    private static final int READ_ONLY_ATTEMPTS = 20;

    /** What a commit and the journal after it hold, read without opening a store. */
    public record Snapshot(VolumeConfig volume, NavigableMap<String, Record> records) {
    }

    private final VolumeConfig volume;
    private final MetaRepo repo;
    private final Journal journal;
    private final FileChannel lockChannel;
    private final CommitWriter writer;
    private final Committer committer;
    private final List<NamespaceListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<ObjectId>> commitListeners = new CopyOnWriteArrayList<>();

    // guarded by lock; only the journal append does I/O under it
    private final ReentrantLock lock = new ReentrantLock();
    private final NamespaceState state;
    private List<Change> queue = new ArrayList<>();
    private long recordedSeq;
    private boolean closed;

    private NamespaceStore(MetaRepo repo, FileChannel lockChannel, MetaRepo.Content head, Journal.Replay replay,
                           String nodeId, long commitDelayMillis) throws IOException {
        this.repo = repo;
        this.lockChannel = lockChannel;
        this.volume = head.volume();
        this.state = new NamespaceState(head.records());
        List<Change> recovered = new ArrayList<>();
        replay.calls().forEach(recovered::addAll);
        recovered.forEach(state::replay);
        this.journal = Journal.open(repo.directory().resolveSibling(JOURNAL_DIR), replay.lastSegment());
        this.writer = new CommitWriter(repo, journal, this::drain, nodeId, head, recovered, replay.lastSegment());
        if (!recovered.isEmpty()) {
            LOG.info("replayed {} journaled changes from {} calls; committing them", recovered.size(),
                    replay.calls().size());
            try {
                writer.commitQueued();
            } catch (IOException | RuntimeException e) {
                writer.discardSpare();
                journal.close();
                throw new IOException("could not commit the journal replayed from "
                        + repo.directory().resolveSibling(JOURNAL_DIR), e);
            }
        }
        Committer.Step step = () -> {
            long seq = writer.commitQueued();
            announceCommit();
            return seq;
        };
        this.committer = new Committer(step, commitDelayMillis, 0, "delugefs-commit-" + volume.name());
    }

    public static NamespaceStore create(Path root, VolumeConfig volume, String nodeId, Record rootDir) throws IOException {
        return create(root, volume, nodeId, rootDir, DEFAULT_COMMIT_DELAY_MILLIS);
    }

    /** As {@link #create(Path, VolumeConfig, String, Record)} with another commit delay (tests). */
    static NamespaceStore create(Path root, VolumeConfig volume, String nodeId, Record rootDir, long commitDelayMillis)
            throws IOException {
        Objects.requireNonNull(volume, "volume");
        checkNodeId(nodeId);
        if (rootDir == null || rootDir.type() != Record.Type.DIR) {
            throw new IllegalArgumentException("the root record must be a directory: " + rootDir);
        }
        Path gitDir = root.resolve(GIT_DIR);
        if (Files.exists(gitDir)) {
            throw new IOException("refusing to create a volume in " + root + ": " + gitDir + " already exists");
        }
        if (!Journal.segmentNumbers(root.resolve(JOURNAL_DIR)).isEmpty()) {
            throw new IOException("refusing to create a volume in " + root + ": " + root.resolve(JOURNAL_DIR)
                    + " holds journal segments of an earlier volume");
        }
        Files.createDirectories(root.resolve(JOURNAL_DIR));
        FileChannel lockChannel = lock(root);
        MetaRepo repo = null;
        try {
            repo = MetaRepo.init(gitDir);
            ObjectId genesis = repo.head();
            MetaRepo.Content empty = repo.read(firstVolumeCommit(repo, genesis, volume, nodeId, rootDir));
            Journal.Replay nothing = new Journal.Replay(List.of(), 0);
            return new NamespaceStore(repo, lockChannel, empty, nothing, nodeId, commitDelayMillis);
        } catch (IOException | RuntimeException e) {
            if (repo != null) {
                repo.close();
            }
            lockChannel.close();
            throw e;
        }
    }

    /** The first commit after genesis: the volume config, this node's file and the root directory. */
    private static ObjectId firstVolumeCommit(MetaRepo repo, ObjectId genesis, VolumeConfig volume, String nodeId,
                                            Record rootDir) throws IOException {
        TreeIndex index = new TreeIndex();
        try (ObjectInserter inserter = repo.newInserter()) {
            index.putBlob(VolumeConfig.FILE_NAME, inserter.insert(Constants.OBJ_BLOB, volume.toJson()));
            index.putBlob(TreePaths.nodeFile(nodeId), inserter.insert(Constants.OBJ_BLOB, NodeFile.toJson(nodeId)));
            index.apply(new Change("/", rootDir));
            ObjectId tree = index.write(inserter);
            PersonIdent who = new PersonIdent("delugefs", nodeId + "@delugefs", Instant.now(), ZoneOffset.UTC);
            return repo.commit(inserter, genesis, tree, who, "create volume " + volume.name() + "\n");
        }
    }

    public static NamespaceStore open(Path root, String nodeId) throws IOException {
        return open(root, nodeId, DEFAULT_COMMIT_DELAY_MILLIS);
    }

    /** As {@link #open(Path, String)} with another commit delay (tests). */
    static NamespaceStore open(Path root, String nodeId, long commitDelayMillis) throws IOException {
        checkNodeId(nodeId);
        Path gitDir = root.resolve(GIT_DIR);
        MetaRepo repo = MetaRepo.open(gitDir);
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(root.resolve(JOURNAL_DIR));
            lockChannel = lock(root);
            StaleLocks.clear(gitDir);
            MetaRepo.Content head = repo.read(requireMain(repo));
            Journal.Replay replay = Journal.read(root.resolve(JOURNAL_DIR));
            return new NamespaceStore(repo, lockChannel, head, replay, nodeId, commitDelayMillis);
        } catch (IOException | RuntimeException e) {
            repo.close();
            if (lockChannel != null) {
                lockChannel.close();
            }
            throw e;
        }
    }

    /**
     * A store for a node joining an existing volume: a new {@code ROOT/meta.git} whose {@code main} is the
     * member's head that {@code fetch} brings, refused (and removed again) if that is not a DelugeFS volume.
     * The caller then writes its own {@code nodes/<id>.*} with {@link #putFiles}.
     */
    public static NamespaceStore cloneFrom(Path root, String nodeId, Fetch fetch) throws IOException {
        return cloneFrom(root, nodeId, fetch, DEFAULT_COMMIT_DELAY_MILLIS);
    }

    /** As {@link #cloneFrom(Path, String, Fetch)} with another commit delay (tests). */
    static NamespaceStore cloneFrom(Path root, String nodeId, Fetch fetch, long commitDelayMillis) throws IOException {
        checkNodeId(nodeId);
        Objects.requireNonNull(fetch, "fetch");
        VolumeClone.make(root.resolve(GIT_DIR), root.resolve(JOURNAL_DIR), fetch);
        return open(root, nodeId, commitDelayMillis);
    }

    /**
     * HEAD plus the journal, for tools that run while a node may have the store open: writes nothing
     * and takes no lock. A commit that moves HEAD and deletes segments meanwhile makes it read again.
     */
    public static Snapshot readOnly(Path root) throws IOException {
        try (MetaRepo repo = MetaRepo.openReadOnly(root.resolve(GIT_DIR))) {
            for (int attempt = 1; ; attempt++) {
                ObjectId head = requireMain(repo);
                MetaRepo.Content content = repo.read(head);
                Journal.Replay replay;
                try {
                    replay = Journal.read(root.resolve(JOURNAL_DIR));
                } catch (NoSuchFileException e) {
                    if (attempt == READ_ONLY_ATTEMPTS) {
                        throw e;
                    }
                    continue;
                }
                // segments are deleted only after main moved past them, so an unmoved main means we saw them
                // all; a main that keeps moving still gives a view, just not one of a single instant
                if (!head.equals(repo.head()) && attempt < READ_ONLY_ATTEMPTS) {
                    continue;
                }
                NamespaceState state = new NamespaceState(content.records());
                replay.calls().forEach(call -> call.forEach(state::replay));
                return new Snapshot(content.volume(), state.copy());
            }
        }
    }

    /** The root commit every DelugeFS volume starts from. */
    public static ObjectId genesisId() {
        return MetaRepo.GENESIS;
    }

    public VolumeConfig volume() {
        return volume;
    }

    /** The live state, tombstones included: raw path to record, a copy. */
    public NavigableMap<String, Record> snapshot() {
        lock.lock();
        try {
            return state.copy();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies the changes in order, as one unit, and journals them before returning (written to the
     * OS, not fsynced: a crash of this process loses nothing; see {@link #sync()} for power loss).
     *
     * @throws IllegalArgumentException if a change would put a path below a file, symlink or tombstone;
     *                                  then none of the changes is applied
     * @throws UncheckedIOException     if the journal write fails; then none of the changes is applied
     */
    public void record(List<Change> changes) {
        if (changes.isEmpty()) {
            return;
        }
        byte[] line = Journal.encode(changes);
        long seq;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("namespace store is closed");
            }
            NamespaceState.Undo undo = state.apply(changes);
            try {
                journal.append(line);
            } catch (IOException e) {
                undo.revert();
                throw new UncheckedIOException("journal write failed; the changes were not applied", e);
            }
            queue.addAll(changes);
            seq = ++recordedSeq;
        } finally {
            lock.unlock();
        }
        committer.queued(seq);
    }

    /** Told after each merge that changed the namespace; see {@link NamespaceListener}. */
    public void addListener(NamespaceListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Merges a peer's head, already fetched into this repo, into {@code main}: what was recorded here is
     * committed first so that the merge sees it, then the heads are merged (fast-forward when one contains
     * the other), {@code main} moves by compare-and-swap and the live state becomes the merged one; then,
     * outside the lock, the listeners hear what changed.
     *
     * <p>The store's lock is held throughout, so a record() waits for the merge rather than racing it.
     */
    public MergeResult mergeFrom(ObjectId theirs) throws IOException {
        Objects.requireNonNull(theirs, "theirs");
        MergeResult result;
        synchronized (writer) {
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("namespace store is closed");
                }
                writer.commitQueued();
                result = merge(writer.headContent(volume, state.copy()), theirs);
            } finally {
                lock.unlock();
            }
        }
        announceCommit();
        if (!result.changes().isEmpty()) {
            for (NamespaceListener listener : listeners) {
                try {
                    listener.changed(result.changes());
                } catch (RuntimeException e) {
                    LOG.error("a namespace listener failed on {} merged changes", result.changes().size(), e);
                }
            }
        }
        return result;
    }

    /**
     * The same paths with the records this store holds for them now (a tombstone where it holds none). A
     * listener that mirrors the tree calls this under its own lock, so a local change that reached the store
     * after the merge is what the tree shows, not the merged record it replaced.
     */
    public List<Change> current(List<Change> changes) {
        lock.lock();
        try {
            List<Change> now = new ArrayList<>(changes.size());
            for (Change c : changes) {
                Record r = state.get(c.path());
                if (r == null) {
                    r = c.record().isDeleted() ? c.record() : Record.tombstone(c.record().clock(), c.record().writer());
                }
                now.add(r == c.record() ? c : new Change(c.path(), r));
            }
            return now;
        } finally {
            lock.unlock();
        }
    }

    /** Under the writer's monitor and the lock, with nothing left to commit. */
    private MergeResult merge(MetaRepo.Content head, ObjectId theirs) throws IOException {
        long start = System.nanoTime();
        ObjectId ours = head.commit();
        GitMerge.Outcome outcome = GitMerge.merge(repo, head, theirs);
        if (outcome.kind() == GitMerge.Kind.UP_TO_DATE) {
            return new MergeResult(MergeResult.Status.UP_TO_DATE, ours, List.of(), List.of());
        }
        MetaRepo.Content merged = outcome.content();
        if (outcome.kind() == GitMerge.Kind.ADOPTED) {
            repo.replaceMain(ours, merged.commit());
        } else {
            repo.moveMain(ours, merged.commit());
        }
        writer.adopt(merged);
        List<Change> changes = NamespaceDiff.between(state.copy(), merged.records());
        state.reset(merged.records());
        List<String> copies = outcome.copies().stream().map(NamespaceMerge.Copy::copyPath).toList();
        LOG.info("merged {} into {}: {} as {}, {} changes, {} conflict copies, {} ms", theirs.name(), ours.name(),
                outcome.kind(), merged.commit().name(), changes.size(), copies.size(),
                (System.nanoTime() - start) / 1_000_000);
        MergeResult.Status status = switch (outcome.kind()) {
            case FAST_FORWARD -> MergeResult.Status.FAST_FORWARD;
            case ADOPTED -> MergeResult.Status.ADOPTED;
            default -> MergeResult.Status.MERGED;
        };
        return new MergeResult(status, merged.commit(), changes, copies);
    }

    /**
     * Told the new head after each local commit moved {@code main} (a group commit, or {@link #putFiles}), on
     * the committing thread and outside the store's locks: a listener must return quickly (hand the work
     * to an executor). Merges of peers' heads are not local commits and are not announced.
     */
    public void addCommitListener(Consumer<ObjectId> listener) {
        commitListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void announceCommit() {
        ObjectId head = writer.takeUnannounced();
        if (head == null) {
            return;
        }
        for (Consumer<ObjectId> listener : commitListeners) {
            try {
                listener.accept(head);
            } catch (RuntimeException e) {
                LOG.error("a commit listener failed on {}", head.name(), e);
            }
        }
    }

    /**
     * The files outside {@code ns/} at HEAD whose tree path starts with {@code prefix} (e.g. {@code "nodes/"}),
     * path to bytes. Reads Git: not for hot paths.
     */
    public NavigableMap<String, byte[]> files(String prefix) throws IOException {
        Objects.requireNonNull(prefix, "prefix");
        return repo.files(writer.head(), prefix);
    }

    /**
     * Commits files outside {@code ns/} (tree path to bytes, e.g. {@code nodes/<id>.pub}, {@code join/<hash>})
     * on top of what was recorded so far, at once, and returns when {@code main} holds them. In a merge such a
     * file changed on one side only takes that side; changed on both, the newer head commit wins.
     *
     * @throws IllegalArgumentException for a path under {@code ns/}, {@code volume.json} or a malformed path
     */
    public void putFiles(Map<String, byte[]> files) throws IOException {
        Map<String, byte[]> copy = new TreeMap<>();
        files.forEach((path, bytes) -> copy.put(checkFilePath(path), bytes.clone()));
        if (copy.isEmpty()) {
            return;
        }
        commitFiles(copy);
    }

    /**
     * Commits a new replication target into {@code volume.json} (the rest of it unchanged); peers take it
     * with their next sync, and in a merge the newer head commit's wins, as for other files.
     *
     * @throws IllegalArgumentException if {@code replication} is outside 1..{@link VolumeConfig#MAX_REPLICATION}
     */
    public void setReplication(int replication) throws IOException {
        VolumeConfig current;
        byte[] json = files(VolumeConfig.FILE_NAME).get(VolumeConfig.FILE_NAME);
        current = json != null ? VolumeConfig.fromJson(json) : volume;
        commitFiles(Map.of(VolumeConfig.FILE_NAME, current.withReplication(replication).toJson()));
    }

    private void commitFiles(Map<String, byte[]> copy) throws IOException {
        synchronized (writer) {
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("namespace store is closed");
                }
                writer.commitQueued();
                writer.commitFiles(copy);
            } finally {
                lock.unlock();
            }
        }
        announceCommit();
    }

    private static String checkFilePath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("//")
                || path.contains("\0")) {
            throw new IllegalArgumentException("not a repository file path: '" + path + "'");
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..") || segment.equalsIgnoreCase(".git")) {
                throw new IllegalArgumentException("not a repository file path: '" + path + "'");
            }
        }
        if (path.equals(TreePaths.NS) || path.startsWith(TreePaths.NS + "/") || path.equals(VolumeConfig.FILE_NAME)) {
            throw new IllegalArgumentException(path + " is not a file putFiles may write");
        }
        return path;
    }

    /** Whether {@code commit} is in this repository and {@code main} contains it (nothing to fetch or merge). */
    public boolean contains(ObjectId commit) throws IOException {
        return repo.contains(writer.head(), commit);
    }

    /**
     * Runs a fetch into this store's repository; the caller then hands the result to {@link #mergeFrom}.
     * Fetches may run side by side with commits, merges and each other.
     */
    public ObjectId fetch(Fetch fetch) throws IOException {
        ObjectId fetched = repo.withPacks(fetch::into);
        if (fetched == null) {
            throw new IOException("the fetch brought no commit");
        }
        return fetched;
    }

    /** Runs {@code work} with the repository for reading (serving a fetch); see {@link MetaRepo#withPacks}. */
    <T> T withRepository(MetaRepo.PackWork<T> work) throws IOException {
        return repo.withPacks(work);
    }

    /** Commits everything recorded so far and returns when it is in Git, fsynced. */
    public void sync() throws IOException {
        long target;
        lock.lock();
        try {
            target = recordedSeq;
        } finally {
            lock.unlock();
        }
        committer.awaitCommitted(target);
    }

    /** The commit {@code main} points at after this store's last commit. */
    public ObjectId head() {
        return writer.head();
    }

    /** Commits what is pending, stops the commit thread and releases the root. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        try {
            committer.close();
        } finally {
            writer.discardSpare();
            try {
                journal.close();
            } finally {
                repo.close();
                lockChannel.close();
            }
        }
    }

    /** Stops like a killed process: no commit, no fsync; what record() wrote stays in the journal (tests). */
    void crash() throws IOException {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        committer.halt();
        writer.discardSpare();
        journal.abandon();
        repo.close();
        lockChannel.close();
    }

    /** Called by the committer thread: hands over the queue and switches the journal to {@code next}. */
    private CommitWriter.Drained drain(Journal.Segment next) {
        lock.lock();
        try {
            if (queue.isEmpty()) {
                return new CommitWriter.Drained(List.of(), null, recordedSeq);
            }
            List<Change> batch = queue;
            queue = new ArrayList<>();
            return new CommitWriter.Drained(batch, journal.swap(next), recordedSeq);
        } finally {
            lock.unlock();
        }
    }

    private static FileChannel lock(Path root) throws IOException {
        Path file = root.resolve(JOURNAL_DIR).resolve(LOCK_FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock held = channel.tryLock();
            if (held == null) {
                throw new IOException(root + " is in use by another process (" + file + " is locked)");
            }
            return channel;
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new IOException(root + " is already open in this process", e);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private static ObjectId requireMain(MetaRepo repo) throws IOException {
        ObjectId head = repo.head();
        if (head == null) {
            throw new IOException("not a DelugeFS volume repository: " + repo.directory() + " has no " + MetaRepo.MAIN);
        }
        return head;
    }

    private static void checkNodeId(String nodeId) {
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id must be 32 lowercase hex digits: " + nodeId);
        }
    }
}
