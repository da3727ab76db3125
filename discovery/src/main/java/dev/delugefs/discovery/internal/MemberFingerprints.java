package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.NodeKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Predicate;

/**
 * Trust in any member's host key: a node's host key is its node key, so the volume's {@code nodes/*.pub}
 * name every host a member may dial. Read at each check, as the server does for logins.
 */
public final class MemberFingerprints implements Predicate<String> {
    private static final Logger LOG = LoggerFactory.getLogger(MemberFingerprints.class);

    private final AuthorizedKeys members;

    public MemberFingerprints(AuthorizedKeys members) {
        this.members = members;
    }

    @Override
    public boolean test(String fingerprint) {
        for (String line : members.openSshKeys()) {
            try {
                if (fingerprint.equals(NodeKeys.fingerprintOfOpenSsh(line))) {
                    return true;
                }
            } catch (IllegalArgumentException e) {
                LOG.warn("skipping an unreadable member key: {}", e.toString());
            }
        }
        return false;
    }
}
