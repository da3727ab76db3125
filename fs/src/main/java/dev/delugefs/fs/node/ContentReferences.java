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
import java.util.Map;
import java.util.HashMap;
import java.util.function.Consumer;
import dev.delugefs.swarm.ContentInfo;

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
        forEachFile(record -> ids.add(record.content().id()));
        return ids;
    }

    /** Every content the live namespace names, described as peers need it to fetch it. */
    Map<String, ContentInfo> contents() {
        Map<String, ContentInfo> contents = new HashMap<>();
        try {
            forEachFile(record -> contents.computeIfAbsent(record.content().id(), id ->
                    ContentInfo.of(record.size(), record.content().pieceLength(), record.content().pieces())));
        } catch (FsException e) {
            throw new IllegalStateException(e);
        }
        return contents;
    }

    /** Calls {@code action} with the record of every linked file that has content. */
    private void forEachFile(Consumer<Record> action) throws FsException {
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
                } else if (child.record().content() != null) {
                    action.accept(child.record());
                }
            }
        }
    }
}
