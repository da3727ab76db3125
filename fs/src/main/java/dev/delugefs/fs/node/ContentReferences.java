package dev.delugefs.fs.node;

import dev.delugefs.fs.vfs.DelugeVfs;
import dev.delugefs.metadata.FsException;
import dev.delugefs.metadata.Inode;
import dev.delugefs.metadata.Namespace;
import dev.delugefs.metadata.Record;
import dev.delugefs.replication.GarbageCollector;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/** Every content id this node still needs: those the live namespace names and those open files read. */
final class ContentReferences implements GarbageCollector.References {
    private final Namespace namespace;
    private final DelugeVfs vfs;

    ContentReferences(Namespace namespace, DelugeVfs vfs) {
        this.namespace = namespace;
        this.vfs = vfs;
    }

    @Override
    public Set<String> contentIds() throws FsException {
        // open files first: a file closed and unlinked while we walk is then still counted once
        Set<String> ids = new HashSet<>(vfs.contentInUse());
        Deque<Inode> dirs = new ArrayDeque<>();
        dirs.push(namespace.root());
        while (!dirs.isEmpty()) {
            Inode dir = dirs.pop();
            if (!dir.isLinked() && dir != namespace.root()) {
                continue;
            }
            for (Namespace.Entry e : namespace.list(dir)) {
                Inode child = e.inode();
                if (child.isDirectory()) {
                    dirs.push(child);
                } else {
                    Record.Content content = child.record().content();
                    if (content != null) {
                        ids.add(content.id());
                    }
                }
            }
        }
        return ids;
    }
}
