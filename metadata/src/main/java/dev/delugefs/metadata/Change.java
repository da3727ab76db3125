package dev.delugefs.metadata;

import java.util.Objects;

/**
 * One step of namespace history: {@code record} is now at raw {@code path} (a tombstone for a delete).
 * A record that is not a directory also removes everything below its path.
 */
public record Change(String path, Record record) {

    public Change {
        PathCodec.checkPath(path);
        Objects.requireNonNull(record, "record");
        if (path.equals("/") && record.type() != Record.Type.DIR) {
            throw new IllegalArgumentException("the root must stay a directory, got a " + record.type().json());
        }
    }

    @Override
    public String toString() {
        return "Change[" + PathCodec.printable(path) + " -> " + record + "]";
    }
}
