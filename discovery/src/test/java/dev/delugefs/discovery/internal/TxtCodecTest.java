package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.HostPort;
import dev.delugefs.discovery.PeerInfo;
import dev.delugefs.discovery.internal.TxtCodec.Decoded;
import dev.delugefs.discovery.internal.TxtCodec.Verdict;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TxtCodecTest {
    private static final String VOLUME = "0123456789abcdef0123456789abcdef";
    private static final String SELF = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String OTHER = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

    private static Inet4Address ip(String text) throws UnknownHostException {
        return (Inet4Address) InetAddress.getByName(text);
    }

    private static PeerInfo node(String id, List<HostPort> ssh) {
        return new PeerInfo(id, VOLUME, ssh, 6881, "host-1", "c0ffee", 123_456_789_000L, NOW);
    }

    @Test
    void whatIsEncodedDecodesToTheSamePeer() throws Exception {
        PeerInfo other = node(OTHER, List.of(HostPort.parse("10.0.0.2:7000"), HostPort.parse("203.0.113.5:17000")));

        Map<String, String> txt = TxtCodec.encode(other, ip("10.0.0.2"));
        Decoded decoded = TxtCodec.decode(txt, List.of(ip("10.0.0.2")), VOLUME, SELF, NOW);

        assertThat(txt).containsEntry("v", "1").containsEntry("ssh", "10.0.0.2:7000,203.0.113.5:17000")
                .containsEntry("free", "123456789000").containsEntry("host", "host-1").containsEntry("bt", "6881");
        assertThat(decoded.verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(decoded.peer()).isEqualTo(other);
    }

    @Test
    void aWildcardListenAddressIsAnnouncedAsTheBoundOneAndReadAsTheRecordsAddress() throws Exception {
        Map<String, String> txt = TxtCodec.encode(node(OTHER, List.of(HostPort.parse("0.0.0.0:7000"))), ip("10.0.0.2"));
        assertThat(txt).containsEntry("ssh", "10.0.0.2:7000");

        txt.put("ssh", "0.0.0.0:7001");
        Decoded decoded = TxtCodec.decode(txt, List.of(ip("10.0.0.9")), VOLUME, SELF, NOW);
        assertThat(decoded.peer().addresses()).containsExactly(new HostPort("10.0.0.9", 7001));
    }

    @Test
    void aRecordIsAcceptedOnlyWhenComplete() throws Exception {
        Map<String, String> full = TxtCodec.encode(node(OTHER, List.of(HostPort.parse("10.0.0.2:7000"))), ip("10.0.0.2"));
        for (String key : full.keySet()) {
            Map<String, String> partial = new HashMap<>(full);
            partial.remove(key);
            assertThat(TxtCodec.decode(partial, List.of(ip("10.0.0.2")), VOLUME, SELF, NOW).verdict())
                    .as("without %s", key).isEqualTo(Verdict.INCOMPLETE);
        }
        assertThat(TxtCodec.decode(full, List.of(), VOLUME, SELF, NOW).verdict()).isEqualTo(Verdict.NO_IPV4);
    }

    @Test
    void selfOtherVolumesAndOtherVersionsAreIgnored() throws Exception {
        Map<String, String> txt = TxtCodec.encode(node(OTHER, List.of(HostPort.parse("10.0.0.2:7000"))), ip("10.0.0.2"));
        List<Inet4Address> v4 = List.of(ip("10.0.0.2"));

        assertThat(TxtCodec.decode(txt, v4, VOLUME, OTHER, NOW).verdict()).isEqualTo(Verdict.SELF);
        assertThat(TxtCodec.decode(txt, v4, "ffffffffffffffffffffffffffffffff", SELF, NOW).verdict())
                .isEqualTo(Verdict.OTHER_VOLUME);
        Map<String, String> v2 = new HashMap<>(txt);
        v2.put("v", "2");
        assertThat(TxtCodec.decode(v2, v4, VOLUME, SELF, NOW).verdict()).isEqualTo(Verdict.UNSUPPORTED_VERSION);
    }

    @Test
    void garbageIsMalformedNotAnException() throws Exception {
        Map<String, String> txt = TxtCodec.encode(node(OTHER, List.of(HostPort.parse("10.0.0.2:7000"))), ip("10.0.0.2"));
        List<Inet4Address> v4 = List.of(ip("10.0.0.2"));
        for (String[] bad : new String[][]{{"bt", "x"}, {"free", ""}, {"ssh", "nohost"}, {"ssh", ","}, {"bt", "70000"}}) {
            Map<String, String> broken = new HashMap<>(txt);
            broken.put(bad[0], bad[1]);
            assertThat(TxtCodec.decode(broken, v4, VOLUME, SELF, NOW).verdict())
                    .as("%s=%s", bad[0], bad[1]).isEqualTo(Verdict.MALFORMED);
        }
    }

    @Test
    void anEmptyHeadIsAllowed() throws Exception {
        Map<String, String> txt = TxtCodec.encode(node(OTHER, List.of(HostPort.parse("10.0.0.2:7000"))), ip("10.0.0.2"));
        txt.put("head", "");
        assertThat(TxtCodec.decode(txt, List.of(ip("10.0.0.2")), VOLUME, SELF, NOW).peer().head()).isEmpty();
    }
}
