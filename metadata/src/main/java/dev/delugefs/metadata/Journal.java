package dev.delugefs.metadata;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The write-ahead log of changes not yet committed: {@code ROOT/journal/<20-digit number>.log}.
 *
 * <p>One line per {@link NamespaceStore#record} call, written with one write, so a crash keeps a
 * call's changes whole or (torn, no final newline) drops them whole. The committer rotates to a new
 * segment before it commits, so a commit covers whole segments and can delete them once {@code main}
 * has moved. Appends are not fsynced: the page cache survives the death of the process. A rotated
 * segment is fsynced by the committer, outside the store's lock, so whatever a commit covers is on
 * disk twice until the (fsynced) commit lets the segment go.
 */
final class Journal implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final Pattern SEGMENT = Pattern.compile("(\\d{20})\\.log");

    private final Path dir;
    private Segment current;

    /** A segment file open for appending. */
    static final class Segment {
        final long number;
        private final Path file;
        private final FileChannel channel;

        private Segment(long number, Path file, FileChannel channel) {
            this.number = number;
            this.file = file;
            this.channel = channel;
        }

        /** Closes and deletes a segment that never took an append. */
        void discard() {
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("could not remove unused journal segment {}; it is empty and harmless", file, e);
            }
        }

        /** fsync and close: the last step of a segment that no longer takes appends. */
        void seal() throws IOException {
            try (channel) {
                channel.force(false);
            }
        }
    }

    /** Lines read back from the segments, oldest first. */
    record Replay(List<List<Change>> calls, long lastSegment) {
    }

    private Journal(Path dir, Segment current) {
        this.dir = dir;
        this.current = current;
    }

    /** Starts appending to a new segment after {@code lastSegment} (the highest number on disk, or 0). */
    static Journal open(Path dir, long lastSegment) throws IOException {
        Files.createDirectories(dir);
        return new Journal(dir, createSegment(dir, lastSegment + 1));
    }

    /** Appends one line; the caller serializes calls. */
    void append(byte[] line) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(line);
        while (buffer.hasRemaining()) {
            current.channel.write(buffer);
        }
    }

    /** The segment after the current one, created ahead so that {@link #swap} under the store's lock does no I/O. */
    Segment prepareNext() throws IOException {
        return createSegment(dir, current.number + 1);
    }

    /** Makes {@code next} the segment appends go to; returns the previous one, for the caller to seal. */
    Segment swap(Segment next) {
        Segment previous = current;
        current = next;
        return previous;
    }

    long currentSegment() {
        return current.number;
    }

    /** Deletes every segment numbered {@code last} or lower: their changes are in a commit {@code main} points at. */
    void deleteThrough(long last) throws IOException {
        for (long number : segmentNumbers(dir)) {
            if (number <= last) {
                Files.deleteIfExists(dir.resolve(fileName(number)));
            }
        }
    }

    @Override
    public void close() throws IOException {
        current.seal();
    }

    /** Closes without fsync, as a killed process would leave it (tests). */
    void abandon() throws IOException {
        current.channel.close();
    }

    private static Segment createSegment(Path dir, long number) throws IOException {
        Path file = dir.resolve(fileName(number));
        FileChannel channel = FileChannel.open(file,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            syncDirectory(dir);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new Segment(number, file, channel);
    }

    /** A new file's name is durable only once its directory is synced. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static String fileName(long number) {
        return String.format("%020d.log", number);
    }

    static List<Long> segmentNumbers(Path dir) throws IOException {
        List<Long> numbers = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return numbers;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Matcher m = SEGMENT.matcher(f.getFileName().toString());
                if (m.matches()) {
                    numbers.add(Long.parseLong(m.group(1)));
                }
            }
        }
        numbers.sort(null);
        return numbers;
    }

    /**
     * Reads every segment; touches nothing, so a CLI may call it while a node runs. A segment deleted
     * while being read surfaces as {@link java.nio.file.NoSuchFileException}, for the caller to retry.
     */
    static Replay read(Path dir) throws IOException {
        List<List<Change>> calls = new ArrayList<>();
        long last = 0;
        for (long number : segmentNumbers(dir)) {
            readSegment(dir.resolve(fileName(number)), calls);
            last = number;
        }
        return new Replay(calls, last);
    }

    private static void readSegment(Path file, List<List<Change>> calls) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int start = 0;
        int lineNumber = 1;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            try {
                calls.add(decode(bytes, start, i - start));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " line " + lineNumber + " is corrupt: " + e.getMessage(), e);
            }
            start = i + 1;
            lineNumber++;
        }
        if (start < bytes.length) {
            LOG.warn("{}: dropping a torn last line of {} bytes (a crash during record(); that call never returned)",
                    file, bytes.length - start);
        }
    }

    /** {@code {"changes":[{"path":P,"record":R},...]}} and a newline; paths escaped like symlink targets. */
    static byte[] encode(List<Change> changes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * changes.size());
        try (JsonGenerator g = RecordJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("changes");
            for (Change c : changes) {
                g.writeStartObject();
                g.writeStringField("path", PathCodec.escape(c.path()));
                g.writeFieldName("record");
                RecordJson.write(g, c.record());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    static List<Change> decode(byte[] bytes, int offset, int length) {
        JsonNode node;
        try {
            node = RecordJson.MAPPER.readTree(bytes, offset, length);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + RecordJson.reason(e), e);
        }
        JsonNode changes = node == null ? null : node.get("changes");
        if (changes == null || !changes.isArray()) {
            throw new IllegalArgumentException("no 'changes' array");
        }
        List<Change> out = new ArrayList<>(changes.size());
        for (JsonNode c : changes) {
            String path = PathCodec.unescape(RecordJson.text(c, "path"));
            out.add(new Change(path, RecordJson.fromNode(c.get("record"))));
        }
        return out;
    }
}
