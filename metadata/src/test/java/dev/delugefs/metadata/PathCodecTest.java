package dev.delugefs.metadata;

import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.ObjectChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathCodecTest {

    /** The raw form of bytes, as the FUSE layer hands them to us. */
    private static String raw(byte... bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String raw(String utf8) {
        return raw(utf8.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertGitAccepts(String segment) {
        byte[] bytes = segment.getBytes(StandardCharsets.ISO_8859_1);
        // not setSafeForWindows: the repos are never checked out, and Windows forbids names Linux allows (con, a:b)
        ObjectChecker strict = new ObjectChecker().setSafeForMacOS(true);
        try {
            strict.checkPathSegment(bytes, 0, bytes.length);
        } catch (CorruptObjectException e) {
            throw new AssertionError("Git refuses segment '" + segment + "': " + e.getMessage(), e);
        }
    }

    private static void assertRoundTrip(String rawName) {
        String encoded = PathCodec.encodeSegment(rawName);
        assertThat(PathCodec.decodeSegment(encoded)).isEqualTo(rawName);
        assertThat(encoded.chars()).allMatch(c -> c >= 0x20 && c < 0x7F && c != '/');
        assertThat(encoded).doesNotStartWith(".").isNotEqualTo(TreePaths.DIR_ENTRY);
        assertGitAccepts(encoded);
    }

    @Test
    void encodesWhatGitOrPeopleWouldTripOver() {
        assertThat(PathCodec.encodeSegment(".git")).isEqualTo("%2Egit");
        assertThat(PathCodec.encodeSegment("..foo")).isEqualTo("%2E.foo");
        assertThat(PathCodec.encodeSegment("%dir")).isEqualTo("%25dir");
        assertThat(PathCodec.encodeSegment("a\nb\tc")).isEqualTo("a%0Ab%09c");
        assertThat(PathCodec.encodeSegment(raw("é"))).isEqualTo("%C3%A9");
        assertThat(PathCodec.encodeSegment(raw((byte) 0xFF, (byte) 0xFE))).isEqualTo("%FF%FE");
        assertThat(PathCodec.encodeSegment("del\u007F")).isEqualTo("del%7F");
        assertThat(PathCodec.encodeSegment("plain name-1.txt")).isEqualTo("plain name-1.txt");
        assertThat(PathCodec.encodeSegment("a.")).isEqualTo("a.");
        assertThat(PathCodec.encodeSegment("GIT~1")).isEqualTo("GIT%7E1");
        assertThat(PathCodec.encodeSegment("git~1. \\x")).isEqualTo("git%7E1. \\x");
        assertThat(PathCodec.encodeSegment("git~2")).isEqualTo("git~2");
        assertThat(PathCodec.encodeSegment("xgit~1")).isEqualTo("xgit~1");
    }

    @ParameterizedTest
    @ValueSource(strings = {".git", ".hidden", "..foo", "...", "%", "%dir", "%25", "a\nb", "tab\there", " lead space",
            "trailing.", "GIT~1", "git~1", "Git~1 .", "git~10", ".gitmodules", "con", "x:y", "back\\slash", "\"quoted\"", "*?<>|"})
    void roundTripsAndGitAcceptsIt(String name) {
        assertRoundTrip(name);
    }

    @Test
    void roundTripsNonUtf8AndUtf8Names() {
        assertRoundTrip(raw((byte) 0xFF, (byte) 0xFE));
        assertRoundTrip(raw((byte) 0x80, (byte) 'a', (byte) 0xC0));
        assertRoundTrip(raw("é"));
        assertRoundTrip(raw("日本語.txt"));
        assertRoundTrip(raw("\u200c.git"));
    }

    @Test
    void roundTripsEverySingleByte() {
        for (int b = 1; b <= 255; b++) {
            if (b == '/') {
                continue;
            }
            if (b == '.') {
                assertThatThrownBy(() -> PathCodec.encodeSegment(".")).isInstanceOf(IllegalArgumentException.class);
                continue;
            }
            assertRoundTrip(raw((byte) b));
            assertRoundTrip(raw((byte) 'x', (byte) b));
            assertRoundTrip(raw((byte) b, (byte) 'x'));
        }
    }

    @Test
    void roundTripsNamesOf255Bytes() {
        byte[] ascii = new byte[255];
        java.util.Arrays.fill(ascii, (byte) 'n');
        assertRoundTrip(raw(ascii));
        byte[] high = new byte[255];
        java.util.Arrays.fill(high, (byte) 0xE9);
        String encoded = PathCodec.encodeSegment(raw(high));
        assertThat(encoded).hasSize(765);
        assertRoundTrip(raw(high));
    }

    @Test
    void rejectsNamesTheKernelWouldNotPass() {
        for (String bad : new String[]{"", ".", "..", "a/b", "nul\0", "wide\u0100"}) {
            assertThatThrownBy(() -> PathCodec.encodeSegment(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> PathCodec.encodeSegment("n".repeat(256)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("255");
        assertThatThrownBy(() -> PathCodec.encodeSegment(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"%2egit", "%41", "%2", "%", "%G1", "%zz", ".git", "a%2Fb", "%00", "%2E", "%2E%2E",
            "x\ny", "\u00e9", "", "%25%2", "%2E.", "a%2Eb", "git~1", "gIt~1..", "git%7E2", "a%7E"})
    void decodingRejectsMalformedOrNonCanonicalSegments(String bad) {
        assertThatThrownBy(() -> PathCodec.decodeSegment(bad)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathsEncodeSegmentBySegment() {
        assertThat(PathCodec.encodePath("/")).isEmpty();
        assertThat(PathCodec.encodePath("/a/b")).isEqualTo("a/b");
        assertThat(PathCodec.encodePath("/.git/%dir/x\n")).isEqualTo("%2Egit/%25dir/x%0A");
        assertThat(PathCodec.decodePath("")).isEqualTo("/");
        assertThat(PathCodec.decodePath("%2Egit/%25dir/x%0A")).isEqualTo("/.git/%dir/x\n");
        for (String bad : new String[]{"", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/a\0"}) {
            assertThatThrownBy(() -> PathCodec.encodePath(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        for (String bad : new String[]{"/a", "a/", "a//b", "%2egit"}) {
            assertThatThrownBy(() -> PathCodec.decodePath(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void escapeKeepsSlashesAndLeadingDots() {
        assertThat(PathCodec.escape("../up/.hidden")).isEqualTo("../up/.hidden");
        assertThat(PathCodec.escape("")).isEmpty();
        assertThat(PathCodec.escape("100%\n" + raw((byte) 0xFF))).isEqualTo("100%25%0A%FF");
        assertThat(PathCodec.escape("nul\0")).isEqualTo("nul%00");
        for (int b = 0; b <= 255; b++) {
            String s = "/" + raw((byte) b) + ".";
            assertThat(PathCodec.unescape(PathCodec.escape(s))).isEqualTo(s);
        }
        for (String bad : new String[]{"%2e", "%41", "%", "a\nb", "%2E"}) {
            assertThatThrownBy(() -> PathCodec.unescape(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> PathCodec.escape("wide\u0100")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathCodec.unescape("wide\u0100")).isInstanceOf(IllegalArgumentException.class);
    }
}
