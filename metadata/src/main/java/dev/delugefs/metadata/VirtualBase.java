package dev.delugefs.metadata;

import java.io.IOException;
import java.util.List;

/**
 * The base of a merge when two heads have several best common ancestors (criss-cross merges, which
 * nodes that merge each other in turn make all the time): the ancestors merged among themselves first,
 * as Git's recursive strategy does. Only a base that all nodes compute alike keeps the merge
 * deterministic, so the ancestors are taken in the order the history gives them (sorted), and the
 * result does not depend on which head is "ours".
 *
 * @param <C> a commit
 * @param <S> what a commit holds, as the merge sees it
 */
final class VirtualBase<C, S> {

    /** The commit graph. */
    interface History<C, S> {
        /** The best common ancestors of two commits, never empty, sorted the same way on every node. */
        List<C> mergeBases(C a, C b) throws IOException;

        S read(C commit) throws IOException;
    }

    /** A three-way merge of contents. */
    interface Merger<S> {
        S merge(S base, S ours, S theirs);
    }

    private final History<C, S> history;
    private final Merger<S> merger;

    VirtualBase(History<C, S> history, Merger<S> merger) {
        this.history = history;
        this.merger = merger;
    }

    /** The content to merge {@code a} and {@code b} against. */
    S of(C a, C b) throws IOException {
        List<C> bases = history.mergeBases(a, b);
        if (bases.isEmpty()) {
            throw new IOException("no common ancestor: every volume's history should start at the genesis commit");
        }
        C first = bases.get(0);
        S result = history.read(first);
        for (C next : bases.subList(1, bases.size())) {
            // the fold's result has no commit of its own; its first ancestor stands in for it, whose bases
            // with the next one are common ancestors of both, which is all the inner merge needs
            result = merger.merge(of(first, next), result, history.read(next));
        }
        return result;
    }
}
