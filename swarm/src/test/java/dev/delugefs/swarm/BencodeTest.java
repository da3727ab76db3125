package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BencodeTest {
    @Test
    void encodesIntegersStringsAndSortedDictionaries() {
        Map<String, Object> value = Map.of("zeta", 1, "alpha", -42L, "mid", "h\u00e9", "nested", Map.of("b", new byte[] {0, 'x'}));
        assertThat(text(Bencode.encode(value)))
                .isEqualTo("d5:alphai-42e3:mid3:h\u00c3\u00a96:nestedd1:b2:\u0000xe4:zetai1ee");
    }

    @Test
    void keysSortByRawBytesNotByStringOrder() {
        // U+00E9 encodes as 0xC3 0xA9, above 'z'; U+FF21 as 0xEF 0xBC 0xA1, above both.
        byte[] encoded = Bencode.encode(Map.of("\uff21", 1, "\u00e9", 2, "z", 3));
        assertThat(BencodeDecoder.decodeDictionary(encoded).keySet()).containsExactly("z", "\u00e9", "\uff21");
    }

    @Test
    void refusesWhatTorrentsDoNotNeed() {
        assertThatThrownBy(() -> Bencode.encode(List.of(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bencode.encode(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
