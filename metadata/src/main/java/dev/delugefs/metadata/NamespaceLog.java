package dev.delugefs.metadata;

import java.util.List;

/**
 * Where the namespace writes its changes down. {@link NamespaceStore} journals and commits them; the calls
 * arrive in the order the changes happened, one call per operation, and a call's changes must persist
 * together or not at all.
 */
@FunctionalInterface
public interface NamespaceLog {
    void record(List<Change> changes);
}
