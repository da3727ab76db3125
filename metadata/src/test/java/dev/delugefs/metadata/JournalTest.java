package dev.delugefs.metadata;

import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.TimeUnit;

import static dev.delugefs.metadata.Fixtures.change;
import static dev.delugefs.metadata.Fixtures.dir;
import static dev.delugefs.metadata.Fixtures.file;
import static dev.delugefs.metadata.Fixtures.record;
import static dev.delugefs.metadata.Fixtures.tombstone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalTest {

    @TempDir
    Path root;

    private Path journalDir() {
        return root.resolve("journal");
    }

    private Path onlySegmentWithData() throws IOException {
        Path found = null;
        for (long n : Journal.segmentNumbers(journalDir())) {
            Path p = journalDir().resolve(Journal.fileName(n));
            if (Files.size(p) > 0) {
                assertThat(found).as("one segment with data").isNull();
                found = p;
            }
        }
        assertThat(found).isNotNull();
        return found;
    }

    @Test
    void aCallIsOneLineAndDecodesBack() {
        List<Change> changes = List.of(change("/a\nb", dir()), change("/a\nb/%x", file(3)), change("/old", tombstone()));
        byte[] line = Journal.encode(changes);
        String text = new String(line, StandardCharsets.US_ASCII);
        assertThat(text).endsWith("\n").contains("\"path\":\"/a%0Ab/%25x\"");
        assertThat(text.indexOf('\n')).isEqualTo(text.length() - 1);
        assertThat(Journal.decode(line, 0, line.length - 1)).isEqualTo(changes);
    }

    @Test
    void replaysAfterACrashAndCommitsWhatItReplayed() throws IOException {
        NamespaceStore store = Fixtures.create(root, 3_600_000);
        ObjectId created = store.head();
        record(store, change("/d", dir()), change("/d/f", file(5)));
        record(store, change("/g", file(1)));
        NavigableMap<String, Record> expected = store.snapshot();
        store.crash();
        assertThat(Files.readAllLines(onlySegmentWithData())).hasSize(2);

        assertThat(NamespaceStore.readOnly(root).records()).isEqualTo(expected);
        try (NamespaceStore reopened = NamespaceStore.open(root, Fixtures.NODE)) {
            assertThat(reopened.snapshot()).isEqualTo(expected);
            assertThat(reopened.head()).isNotEqualTo(created);
            assertThat(Fixtures.treePaths(root.resolve("meta.git"))).contains("ns/d/%dir", "ns/d/f", "ns/g");
            assertThat(Journal.read(journalDir()).calls()).isEmpty();
        }
    }

    @Test
    void aTornLastLineIsDroppedWhole() throws IOException {
        NamespaceStore store = Fixtures.create(root, 3_600_000);
        record(store, change("/one", file(1)));
        NavigableMap<String, Record> afterFirst = store.snapshot();
        record(store, change("/two", file(2)), change("/three", file(3)));
        store.crash();
        Path segment = onlySegmentWithData();
        long firstLine = Files.readAllLines(segment).get(0).length() + 1;
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(firstLine + 40);
        }
        try (NamespaceStore reopened = NamespaceStore.open(root, Fixtures.NODE)) {
            assertThat(reopened.snapshot()).isEqualTo(afterFirst);
        }
    }

    @Test
    void aCorruptCompleteLineStopsTheOpenNamingTheFile() throws IOException {
        NamespaceStore store = Fixtures.create(root, 3_600_000);
        record(store, change("/one", file(1)));
        store.crash();
        Path segment = onlySegmentWithData();
        Files.writeString(segment, "{\"changes\":[{\"path\":\"/x\"}]}\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> NamespaceStore.open(root, Fixtures.NODE)).isInstanceOf(IOException.class)
                .hasMessageContaining(segment.getFileName().toString()).hasMessageContaining("line 2");
    }

    @Test
    void replayingSegmentsAlreadyCommittedChangesNothing() throws IOException {
        NamespaceStore store = Fixtures.create(root, 3_600_000);
        // re-applied on top of its own result, this sequence passes through a file with a child
        record(store, change("/a", dir()), change("/a/x", file(1)));
        record(store, change("/a", file(2)));
        record(store, change("/b", dir()), change("/b/y", file(3)));
        NavigableMap<String, Record> expected = store.snapshot();
        store.crash();
        Path segment = onlySegmentWithData();
        Path saved = root.resolve("saved.log");
        Files.copy(segment, saved);
        NamespaceStore.open(root, Fixtures.NODE).close();
        // as if the node died after moving main but before deleting the segment
        Files.copy(saved, segment, StandardCopyOption.REPLACE_EXISTING);
        try (NamespaceStore reopened = NamespaceStore.open(root, Fixtures.NODE)) {
            assertThat(reopened.snapshot()).isEqualTo(expected);
        }
    }

    @Test
    void survivesKillMinus9OnceRecordReturned() throws Exception {
        Fixtures.create(root, 50).close();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), CrashChild.class.getName(), root.toString(), "300")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("recorded")) {
                // skip the child's log lines
            }
            assertThat(line).as("child reported its records").isEqualTo("recorded");
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        try (NamespaceStore store = NamespaceStore.open(root, Fixtures.NODE)) {
            NavigableMap<String, Record> records = store.snapshot();
            for (int i = 0; i < 300; i++) {
                assertThat(records).containsKey("/child" + i);
            }
        }
    }
}
