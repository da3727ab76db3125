package dev.delugefs.discovery;

import java.util.Collection;
import java.util.List;

/**
 * The member keys allowed into the channel, as OpenSSH public key lines (the volume's {@code nodes/*.pub}).
 * Asked at every login, so a key committed a moment ago is honoured and a removed one is refused.
 */
@FunctionalInterface
public interface AuthorizedKeys {

    Collection<String> openSshKeys();

    static AuthorizedKeys of(String... openSshLines) {
        List<String> copy = List.of(openSshLines);
        return () -> copy;
    }
}
