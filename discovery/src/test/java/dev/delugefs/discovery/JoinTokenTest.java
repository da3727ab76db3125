package dev.delugefs.discovery;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JoinTokenTest {
    private static final String FINGERPRINT = "SHA256:" + "A".repeat(42) + "E";
    private static final List<HostPort> ADDRESSES =
            List.of(HostPort.parse("192.168.1.7:7000"), HostPort.parse("[::1]:7001"), HostPort.parse("nas.local:22"));

    private final JoinToken token = JoinToken.issue(NodeIdentity.randomId(), FINGERPRINT, ADDRESSES);

    @Test
    void encodedTokenParsesBackEqual() {
        String text = token.encode();

        assertThat(text).startsWith("dfs1-").matches("[A-Za-z0-9_-]+");
        JoinToken parsed = JoinToken.parse("  " + text + "\n");
        assertThat(parsed).isEqualTo(token).hasSameHashCodeAs(token);
        assertThat(parsed.addresses()).containsExactlyElementsOf(ADDRESSES);
    }

    @Test
    void secretIsRandomAndLongEnough() {
        JoinToken other = JoinToken.issue(token.volumeId(), FINGERPRINT, ADDRESSES);

        assertThat(other.secret()).isNotEqualTo(token.secret());
        assertThat(java.util.Base64.getUrlDecoder().decode(token.secret())).hasSizeGreaterThanOrEqualTo(16);
    }

    @Test
    void storedHashChecksTheSecretOnly() {
        String hash = token.secretHash();

        assertThat(hash).startsWith("sha256:").doesNotContain(token.secret());
        assertThat(JoinToken.secretMatches(token.secret(), hash)).isTrue();
        assertThat(JoinToken.secretMatches(token.secret() + "x", hash)).isFalse();
        assertThat(JoinToken.secretMatches(null, hash)).isFalse();
    }

    @Test
    void fingerprintWithPaddingEqualsTheOneWithout() {
        JoinToken padded = new JoinToken(token.volumeId(), token.secret(), FINGERPRINT + "=", ADDRESSES);

        assertThat(padded).isEqualTo(token);
    }

    @Test
    void toStringHidesTheSecret() {
        assertThat(token.toString()).doesNotContain(token.secret());
    }

    @Test
    void malformedTokensAreRejectedWithAReason() {
        String text = token.encode();
        char flipped = text.charAt(20) == 'A' ? 'B' : 'A';
        String damaged = text.substring(0, 20) + flipped + text.substring(21);

        assertThatThrownBy(() -> JoinToken.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> JoinToken.parse("xyz-" + text.substring(5))).hasMessageContaining("dfs1-");
        assertThatThrownBy(() -> JoinToken.parse("dfs1-***")).hasMessageContaining("base64url");
        assertThatThrownBy(() -> JoinToken.parse(damaged)).hasMessageContaining("checksum");
        assertThatThrownBy(() -> JoinToken.parse(text.substring(0, text.length() - 10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("join token");
        assertThatThrownBy(() -> JoinToken.parse("dfs1-")).hasMessageContaining("truncated");
    }

    @Test
    void invalidPartsAreRejected() {
        assertThatThrownBy(() -> new JoinToken("nothex", token.secret(), FINGERPRINT, ADDRESSES))
                .hasMessageContaining("volume id");
        assertThatThrownBy(() -> new JoinToken(token.volumeId(), "c2hvcnQ", FINGERPRINT, ADDRESSES))
                .hasMessageContaining("secret");
        assertThatThrownBy(() -> new JoinToken(token.volumeId(), token.secret(), "MD5:aa", ADDRESSES))
                .hasMessageContaining("SHA256");
        assertThatThrownBy(() -> new JoinToken(token.volumeId(), token.secret(), FINGERPRINT, List.of()))
                .hasMessageContaining("address");
    }

    @Test
    void hostPortParsesWhatUsersType() {
        assertThat(HostPort.parse("10.0.0.1:7000")).isEqualTo(new HostPort("10.0.0.1", 7000));
        assertThat(HostPort.parse("[fe80::1]:22").host()).isEqualTo("fe80::1");
        assertThat(HostPort.parse("[fe80::1]:22")).hasToString("[fe80::1]:22");
        assertThatThrownBy(() -> HostPort.parse("fe80::1:22")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> HostPort.parse("host")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> HostPort.parse("host:x")).hasMessageContaining("port");
        assertThatThrownBy(() -> HostPort.parse("host:70000")).hasMessageContaining("range");
    }
}
