package dev.delugefs.metadata;

import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Merges two commits of the volume repo in memory, no working tree: the records under {@code ns/} with
 * {@link NamespaceMerge}, every other file (volume.json, nodes/...) whole, and the result written with
 * the {@link TreeIndex} of "ours", so only what the merge changed is serialized again.
 *
 * <p>Files outside {@code ns/}: a file changed on one side only takes that side (a node's own
 * {@code nodes/<id>.*} is written only by that node, so the union of both sides is what this gives);
 * changed on both, the side whose head commit is newer wins, ties broken by blob id.
 *
 * <p>The merge commit is a function of the two heads alone: parents sorted by id, a fixed author and
 * message, the later of the two commit times. Two nodes that merge each other's heads therefore make the
 * very same commit, and their heads agree without another round.
 */
final class GitMerge {

    /** ADOPTED: main moves to their head, which does not contain ours but has the same tree (see run). */
    enum Kind { UP_TO_DATE, FAST_FORWARD, ADOPTED, MERGED }

    /** What main should become; {@code content} is null when it stays where it is. */
    record Outcome(Kind kind, MetaRepo.Content content, List<NamespaceMerge.Copy> copies) {
    }

    /** A commit's content as the merge sees it. */
    private record Side(NavigableMap<String, Record> records, NavigableMap<String, ObjectId> files, int time) {
    }

    private static final PersonIdent MERGER = new PersonIdent("delugefs", "merge@delugefs");

    private final MetaRepo repo;

    private GitMerge(MetaRepo repo) {
        this.repo = repo;
    }

    static Outcome merge(MetaRepo repo, ObjectId ours, ObjectId theirs) throws IOException {
        return merge(repo, repo.read(ours), theirs);
    }

    /**
     * @param ours our head's content; its index is copied, not changed, and every other commit is read at
     *             the cost of what differs from it
     */
    static Outcome merge(MetaRepo repo, MetaRepo.Content ours, ObjectId theirs) throws IOException {
        return new GitMerge(repo).run(ours, theirs);
    }

    private Outcome run(MetaRepo.Content oc, ObjectId theirs) throws IOException {
        ObjectId ours = oc.commit();
        MetaRepo.Content tc;
        try (ObjectReader reader = repo.newReader(); RevWalk walk = new RevWalk(reader)) {
            RevCommit o = walk.parseCommit(ours);
            RevCommit t = walk.parseCommit(theirs);
            if (o.equals(t) || walk.isMergedInto(t, o)) {
                return new Outcome(Kind.UP_TO_DATE, null, List.of());
            }
            tc = repo.read(theirs, oc);
            checkSameVolume(oc, tc);
            walk.reset();
            if (walk.isMergedInto(o, t)) {
                return new Outcome(Kind.FAST_FORWARD, tc, List.of());
            }
            if (oc.tree().equals(tc.tree()) && onlyMergesBeyond(walk, o, t) && onlyMergesBeyond(walk, t, o)) {
                // Nodes that merged the same heads in other orders: the same tree under different merge
                // commits. Merging those again makes yet another commit, and with several nodes pulling at
                // once that never settles. Every node keeps the greater commit id instead, so all agree.
                return ours.compareTo(theirs) >= 0 ? new Outcome(Kind.UP_TO_DATE, null, List.of())
                        : new Outcome(Kind.ADOPTED, tc, List.of());
            }
        }
        VirtualBase<ObjectId, Side> bases = new VirtualBase<>(new VirtualBase.History<>() {
            @Override
            public List<ObjectId> mergeBases(ObjectId a, ObjectId b) throws IOException {
                return GitMerge.this.mergeBases(a, b);
            }

            @Override
            public Side read(ObjectId commit) throws IOException {
                return side(repo.read(commit, oc));
            }
        }, (b, x, y) -> merge(b, x, y).side);
        Merged merged = merge(bases.of(ours, theirs), side(oc), side(tc));
        return new Outcome(Kind.MERGED, write(oc, tc, merged.side), merged.copies);
    }

    /** How far the check below walks; beyond that it plays safe and merges. */
    private static final int MAX_WALK = 512;

    /**
     * Whether every commit reachable from {@code from} but not from {@code other} is one of our merge commits,
     * so that leaving {@code from} behind loses no change anybody made.
     */
    private static boolean onlyMergesBeyond(RevWalk walk, RevCommit from, RevCommit other) throws IOException {
        walk.reset();
        walk.markStart(walk.parseCommit(from));
        walk.markUninteresting(walk.parseCommit(other));
        int seen = 0;
        for (RevCommit c : walk) {
            if (++seen > MAX_WALK || c.getParentCount() < 2
                    || !MERGER.getEmailAddress().equals(c.getAuthorIdent().getEmailAddress())) {
                return false;
            }
        }
        return true;
    }

    /** Every volume starts from the same genesis commit, so only the volume id tells two volumes apart. */
    private static void checkSameVolume(MetaRepo.Content ours, MetaRepo.Content theirs) throws IOException {
        if (!ours.volume().id().equals(theirs.volume().id())) {
            throw new IOException("refusing to merge commit " + theirs.commit().name() + " of volume "
                    + theirs.volume().name() + " (" + theirs.volume().id() + ") into volume " + ours.volume().name()
                    + " (" + ours.volume().id() + ")");
        }
    }

    private record Merged(Side side, List<NamespaceMerge.Copy> copies) {
    }

    private static Merged merge(Side base, Side ours, Side theirs) {
        NamespaceMerge.Result records = NamespaceMerge.merge(base.records(), ours.records(), theirs.records());
        TreeMap<String, ObjectId> files = new TreeMap<>();
        TreeSet<String> paths = new TreeSet<>(base.files().keySet());
        paths.addAll(ours.files().keySet());
        paths.addAll(theirs.files().keySet());
        for (String path : paths) {
            ObjectId b = base.files().get(path);
            ObjectId o = ours.files().get(path);
            ObjectId t = theirs.files().get(path);
            ObjectId pick;
            if (Objects.equals(o, t) || Objects.equals(t, b)) {
                pick = o;
            } else if (Objects.equals(o, b)) {
                pick = t;
            } else {
                pick = newerSide(ours, o, theirs, t);
            }
            if (pick != null) {
                files.put(path, pick);
            }
        }
        return new Merged(new Side(records.records(), files, Math.max(ours.time(), theirs.time())), records.copies());
    }

    private static ObjectId newerSide(Side ours, ObjectId o, Side theirs, ObjectId t) {
        if (ours.time() != theirs.time()) {
            return ours.time() > theirs.time() ? o : t;
        }
        if (o == null || t == null) {
            return o == null ? t : o;
        }
        return o.compareTo(t) > 0 ? o : t;
    }

    /** Best common ancestors, none an ancestor of another, sorted by id so every node folds them alike. */
    private List<ObjectId> mergeBases(ObjectId a, ObjectId b) throws IOException {
        try (ObjectReader reader = repo.newReader(); RevWalk walk = new RevWalk(reader)) {
            walk.setRevFilter(RevFilter.MERGE_BASE);
            walk.markStart(walk.parseCommit(a));
            walk.markStart(walk.parseCommit(b));
            List<RevCommit> found = new ArrayList<>();
            for (RevCommit c = walk.next(); c != null; c = walk.next()) {
                found.add(c);
            }
            List<ObjectId> best = new ArrayList<>();
            for (RevCommit candidate : found) {
                boolean redundant = false;
                for (RevCommit other : found) {
                    walk.reset();
                    walk.setRevFilter(RevFilter.ALL);
                    if (other != candidate && walk.isMergedInto(candidate, other)) {
                        redundant = true;
                        break;
                    }
                }
                if (!redundant) {
                    best.add(candidate.copy());
                }
            }
            Collections.sort(best);
            return best;
        }
    }

    private static Side side(MetaRepo.Content c) {
        return new Side(c.records(), c.files(), c.time());
    }

    /** The merged tree as a change of ours' index, and the merge commit; main is not moved here. */
    private MetaRepo.Content write(MetaRepo.Content ours, MetaRepo.Content theirs, Side merged) throws IOException {
        TreeIndex index = ours.index().copy();
        TreeSet<String> paths = new TreeSet<>(ours.records().keySet());
        paths.addAll(merged.records().keySet());
        for (String path : paths) {
            Record before = ours.records().get(path);
            Record after = merged.records().get(path);
            if (after == null) {
                index.remove(path, before);
            } else if (!after.equals(before)) {
                index.apply(new Change(path, after));
            }
        }
        TreeSet<String> files = new TreeSet<>(ours.files().keySet());
        files.addAll(merged.files().keySet());
        for (String path : files) {
            ObjectId after = merged.files().get(path);
            if (after == null) {
                index.removeFile(path);
            } else if (!after.equals(ours.files().get(path))) {
                index.putBlob(path, after);
            }
        }
        VolumeConfig volume = ours.volume();
        ObjectId volumeBlob = merged.files().get(VolumeConfig.FILE_NAME);
        if (volumeBlob != null && !volumeBlob.equals(ours.files().get(VolumeConfig.FILE_NAME))) {
            volume = theirs.volume();
        }
        try (ObjectInserter inserter = repo.newInserter()) {
            ObjectId tree = index.write(inserter);
            List<ObjectId> parents = new ArrayList<>(List.of(ours.commit(), theirs.commit()));
            Collections.sort(parents);
            PersonIdent who = new PersonIdent(MERGER, Instant.ofEpochSecond(merged.time()), ZoneOffset.UTC);
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(tree);
            c.setParentIds(parents);
            c.setAuthor(who);
            c.setCommitter(who);
            c.setMessage("merge\n");
            ObjectId commit = inserter.insert(c);
            inserter.flush();
            return new MetaRepo.Content(commit, tree, volume, merged.records(), merged.files(), merged.time(), index);
        }
    }
}
