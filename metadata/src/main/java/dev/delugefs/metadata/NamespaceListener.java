package dev.delugefs.metadata;

import java.util.List;

/**
 * Told what a merge of a peer's head changed in the store, so the live tree can follow. Called after
 * {@code main} moved and outside the store's lock, on the thread that merged; local changes may reach the
 * store meanwhile, which is why a mirror applies {@link NamespaceStore#current} of the list under its own
 * lock (as {@code store.addListener(c -> namespace.applyRemote(c, store::current))} does).
 */
@FunctionalInterface
public interface NamespaceListener {

    /**
     * @param changes sorted by path, parents before children: each path's new record, a tombstone where a path
     *                went away (a removal implied by a new file, symlink or tombstone at an ancestor is not listed)
     */
    void changed(List<Change> changes);
}
