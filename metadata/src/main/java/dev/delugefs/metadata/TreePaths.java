package dev.delugefs.metadata;

/**
 * Where a record lives in the Git tree: a directory's record is the entry {@code %dir} inside the
 * directory's own tree (so empty directories exist in Git); any other record is a blob named after
 * the path. Both forms of one raw path share the prefix {@code ns/<encoded path>}, so a path and
 * everything below it is one contiguous range of sorted tree paths.
 */
final class TreePaths {

    static final String NS = "ns";
    static final String DIR_ENTRY = "%dir";
    static final String NODES = "nodes";

    private TreePaths() {
    }

    /** {@code ns} for the root, {@code ns/<encoded>} otherwise. */
    static String base(String rawPath) {
        return rawPath.equals("/") ? NS : NS + "/" + PathCodec.encodePath(rawPath);
    }

    static String blobPath(String rawPath, Record record) {
        String base = base(rawPath);
        return record.type() == Record.Type.DIR ? base + "/" + DIR_ENTRY : base;
    }

    static String nodeFile(String nodeId) {
        return NODES + "/" + nodeId + ".json";
    }

    /** The first key after every path below {@code prefix + "/"}: '0' is the char after '/'. */
    static String subtreeEnd(String prefix) {
        return prefix + "0";
    }

    /** The raw path a blob under {@code ns/} describes, or null for blobs outside the namespace. */
    static String rawPathOf(String treePath) {
        if (treePath.equals(NS + "/" + DIR_ENTRY)) {
            return "/";
        }
        if (!treePath.startsWith(NS + "/")) {
            return null;
        }
        String encoded = treePath.substring(NS.length() + 1);
        if (encoded.endsWith("/" + DIR_ENTRY)) {
            encoded = encoded.substring(0, encoded.length() - DIR_ENTRY.length() - 1);
        }
        return PathCodec.decodePath(encoded);
    }

    static boolean isDirEntry(String treePath) {
        return treePath.endsWith("/" + DIR_ENTRY);
    }
}
