package dev.delugefs.discovery;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What can be checked without a network; the namespace test in native-tests runs the real thing. */
class MdnsDiscoveryTest {
    private static final PeerInfo SELF = new PeerInfo("0123456789abcdef0123456789abcdef", "vvvv",
            List.of(HostPort.parse("0.0.0.0:7000")), 6881, "h", "", 0, Instant.EPOCH);

    @Test
    void theInstanceNameKeepsTheNodePartWhateverTheVolumeName() {
        assertThat(MdnsDiscovery.instanceName("photos", SELF)).isEqualTo("photos-01234567");
        assertThat(MdnsDiscovery.instanceName("x".repeat(100), SELF)).hasSizeLessThanOrEqualTo(63)
                .endsWith("-01234567");
    }

    @Test
    void anIpv6BindAddressIsRefused() {
        assertThatThrownBy(() -> MdnsDiscovery.start(InetAddress.getByName("::1"), "v", SELF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IPv4");
    }
}
