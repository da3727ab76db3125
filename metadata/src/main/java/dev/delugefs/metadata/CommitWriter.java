package dev.delugefs.metadata;

import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One group commit, run only on the committer thread: take the queued changes and a fresh journal
 * segment from the store, write the tree, move {@code main}, delete the journal segments now in Git.
 *
 * <p>{@code uncommitted} holds every change since HEAD, so a failed attempt is simply retried with
 * more. After a failure the tree index is rebuilt from HEAD: its cached blob ids might name objects
 * of a pack that was never flushed.
 */
final class CommitWriter implements Committer.Step {

    private static final Logger LOG = LoggerFactory.getLogger(CommitWriter.class);

    /** The store's side of a batch: swaps its queue and journal segment under its own lock. */
    interface Queue {
        Drained drain(Journal.Segment next);
    }

    /**
     * What the store handed over: the changes, the segment that held them (null if none; the caller
     * seals it) and the number of the last call.
     */
    record Drained(List<Change> changes, Journal.Segment previous, long seq) {
    }

    private final MetaRepo repo;
    private final Journal journal;
    private final Queue queue;
    private final String email;
    private final List<Change> uncommitted = new ArrayList<>();
    private TreeIndex index;
    private ObjectId head;
    private ObjectId headTree;
    private long lastCoveredSegment;
    private Journal.Segment spare;
    private volatile ObjectId publishedHead;
    private final AtomicReference<ObjectId> unannounced = new AtomicReference<>();

    /**
     * @param recovered changes replayed from journal segments up to {@code recoveredThrough}, not yet in HEAD
     */
    CommitWriter(MetaRepo repo, Journal journal, Queue queue, String nodeId, MetaRepo.Content headContent,
                 List<Change> recovered, long recoveredThrough) {
        this.repo = repo;
        this.journal = journal;
        this.queue = queue;
        this.email = nodeId + "@delugefs";
        this.index = headContent.index();
        this.head = headContent.commit();
        this.headTree = headContent.tree();
        this.publishedHead = head;
        this.uncommitted.addAll(recovered);
        this.lastCoveredSegment = recoveredThrough;
        recovered.forEach(index::apply);
    }

    /** Removes the segment made ahead of time; call once the committer thread has stopped. */
    void discardSpare() {
        if (spare != null) {
            spare.discard();
            spare = null;
        }
    }

    ObjectId head() {
        return publishedHead;
    }

    /**
     * HEAD as a merge needs it, without reading it back from the repo: {@code records} must be what HEAD
     * holds (the store's state right after a commit, under its lock). The index is this writer's own, so
     * the caller copies it before changing anything.
     */
    synchronized MetaRepo.Content headContent(VolumeConfig volume, NavigableMap<String, Record> records)
            throws IOException {
        if (index == null || !uncommitted.isEmpty() || !head.equals(repo.head())) {
            return repo.read(repo.head());
        }
        return new MetaRepo.Content(head, headTree, volume, records, index.files(), repo.commitTime(head), index);
    }

    /**
     * Takes a merge's result as the new HEAD. The caller holds this writer's monitor and has just committed
     * everything queued, so nothing uncommitted has to be carried over.
     */
    synchronized void adopt(MetaRepo.Content merged) {
        if (!uncommitted.isEmpty()) {
            throw new IllegalStateException(uncommitted.size() + " changes are not committed yet");
        }
        index = merged.index();
        head = merged.commit();
        headTree = merged.tree();
        publishedHead = head;
    }

    /** The head of the latest local commit, once: whoever takes it tells the commit listeners. */
    ObjectId takeUnannounced() {
        return unannounced.getAndSet(null);
    }

    /**
     * Commits files outside {@code ns/} (tree path to bytes) on top of HEAD. The caller holds this writer's
     * monitor and has just committed everything queued, as for {@link #adopt}.
     */
    synchronized void commitFiles(Map<String, byte[]> files) throws IOException {
        if (!uncommitted.isEmpty()) {
            throw new IllegalStateException(uncommitted.size() + " changes are not committed yet");
        }
        try {
            ObjectId current = repo.head();
            if (index == null || !head.equals(current)) {
                reload(current);
            }
            try (ObjectInserter inserter = repo.newInserter()) {
                for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
                    index.putBlob(e.getKey(), inserter.insert(Constants.OBJ_BLOB, e.getValue()));
                }
                ObjectId tree = index.write(inserter);
                if (tree.equals(headTree)) {
                    return;
                }
                PersonIdent who = new PersonIdent("delugefs", email, Instant.now(), ZoneOffset.UTC);
                head = repo.commit(inserter, head, tree, who, "files " + String.join(" ", new TreeMap<>(files)
                        .keySet()) + "\n");
                headTree = tree;
                publishedHead = head;
                unannounced.set(head);
            }
        } catch (IOException | RuntimeException e) {
            index = null;
            throw e;
        }
    }

    /** Synchronized: a merge commits through here too, and must not interleave with the committer thread. */
    @Override
    public synchronized long commitQueued() throws IOException {
        if (spare == null) {
            spare = journal.prepareNext();
        }
        Drained batch = queue.drain(spare);
        uncommitted.addAll(batch.changes());
        if (batch.previous() != null) {
            spare = null;
            lastCoveredSegment = batch.previous().number;
            batch.previous().seal();
        }
        if (uncommitted.isEmpty()) {
            return batch.seq();
        }
        try {
            ObjectId current = repo.head();
            if (index == null || !head.equals(current)) {
                reload(current);
            } else {
                batch.changes().forEach(index::apply);
            }
            commit();
        } catch (IOException | RuntimeException e) {
            index = null;
            throw e;
        }
        return batch.seq();
    }

    private void reload(ObjectId current) throws IOException {
        if (current == null) {
            throw new IOException(MetaRepo.MAIN + " is gone from " + repo.directory());
        }
        if (!current.equals(head)) {
            LOG.info("{} moved outside this store to {}; re-applying {} uncommitted changes on top", MetaRepo.MAIN,
                    current.name(), uncommitted.size());
        }
        MetaRepo.Content content = repo.read(current);
        index = content.index();
        head = content.commit();
        headTree = content.tree();
        uncommitted.forEach(index::apply);
    }

    private void commit() throws IOException {
        long start = System.nanoTime();
        int count = uncommitted.size();
        try (ObjectInserter inserter = repo.newInserter()) {
            ObjectId tree = index.write(inserter);
            if (tree.equals(headTree)) {
                LOG.debug("{} changes left the tree as it was; no commit", count);
            } else {
                PersonIdent who = new PersonIdent("delugefs", email, Instant.now(), ZoneOffset.UTC);
                head = repo.commit(inserter, head, tree, who, count == 1 ? "1 change\n" : count + " changes\n");
                headTree = tree;
                publishedHead = head;
                unannounced.set(head);
                LOG.debug("committed {} changes as {} in {} ms", count, head.name(),
                        (System.nanoTime() - start) / 1_000_000);
            }
        }
        uncommitted.clear();
        try {
            journal.deleteThrough(lastCoveredSegment);
        } catch (IOException e) {
            LOG.warn("could not delete journal segments through {}; a later commit will", lastCoveredSegment, e);
        }
        repo.compactIfNeeded();
    }
}
