package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;

import java.util.List;

/**
 * What {@link NamespaceStore#mergeFrom} did: an expected outcome, not an exception, as JGit's
 * {@code RefUpdate.Result} is.
 *
 * @param head           where {@code main} points now
 * @param changes        what the merge changed in the live namespace, as listeners were told
 * @param conflictCopies raw paths of the conflict copies the merge made
 */
public record MergeResult(Status status, ObjectId head, List<Change> changes, List<String> conflictCopies) {

    public enum Status {
        /** Their head was already contained in ours. */
        UP_TO_DATE,
        /** Ours was contained in theirs; {@code main} moved to their head. */
        FAST_FORWARD,
        /**
         * Both heads had the same tree and only merge commits apart, and theirs has the greater id;
         * {@code main} moved to their head so that every node ends on the same commit.
         */
        ADOPTED,
        /** A merge commit with both heads as parents. */
        MERGED
    }

    public MergeResult {
        changes = List.copyOf(changes);
        conflictCopies = List.copyOf(conflictCopies);
    }
}
