package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.NodeKeys;
import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.PublicKey;

/** Public-key login for members: the key must be one of the volume's node keys. */
public final class MemberKeyAuthenticator implements PublickeyAuthenticator {
    private static final Logger LOG = LoggerFactory.getLogger(MemberKeyAuthenticator.class);

    private final AuthorizedKeys authorizedKeys;

    public MemberKeyAuthenticator(AuthorizedKeys authorizedKeys) {
        this.authorizedKeys = authorizedKeys;
    }

    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) {
        String fingerprint = NodeKeys.fingerprintOf(key);
        if (PeerIdentity.JOIN.equals(username)) {
            // the join user is password-only, so its powers never depend on which key a client offers
            LOG.warn("refused key {} for user '{}' from {}: the join user logs in with the join secret only",
                    fingerprint, username, ServerAttributes.remote(session));
            return false;
        }
        if (!isAuthorized(key, session)) {
            LOG.warn("refused key {} ({}) for user '{}' from {}: not a member key of this volume",
                    fingerprint, KeyUtils.getKeyType(key), username, ServerAttributes.remote(session));
            return false;
        }
        session.setAttribute(ServerAttributes.PEER,
                PeerIdentity.member(fingerprint, ServerAttributes.remote(session)));
        return true;
    }

    private boolean isAuthorized(PublicKey offered, ServerSession session) {
        for (String line : authorizedKeys.openSshKeys()) {
            try {
                AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
                if (entry != null && KeyUtils.compareKeys(offered,
                        entry.resolvePublicKey(session, PublicKeyEntryResolver.FAILING))) {
                    return true;
                }
            } catch (Exception e) {
                // one broken nodes/*.pub must not lock every other member out
                LOG.warn("skipping an unreadable authorized key '{}': {}", abbreviate(line), e.toString());
            }
        }
        return false;
    }

    private static String abbreviate(String line) {
        return line == null || line.length() <= 60 ? line : line.substring(0, 57) + "...";
    }
}
