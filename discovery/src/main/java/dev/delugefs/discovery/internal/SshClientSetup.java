package dev.delugefs.discovery.internal;

import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;

import java.time.Duration;
import java.util.List;

/**
 * A MINA client that trusts only pinned host keys and knows only the identities each session is given:
 * by default MINA accepts any host key and reads ~/.ssh/config, which a daemon must not.
 */
public final class SshClientSetup {
    private static final int MISSED_HEARTBEATS = 3;

    private SshClientSetup() {
    }

    public static SshClient create(Duration heartbeat) {
        SshCrypto.ensureEd25519();
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new PinnedHostKeyVerifier());
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setAgentFactory(null);
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE, UserAuthPasswordFactory.INSTANCE));
        client.setKeyExchangeFactories(SshCrypto.keyExchanges(ClientBuilder.DH2KEX));
        // a peer may pass back connections to the ports our reverse links forward, and open nothing else
        client.setForwardingFilter(ForwardingFilter.asForwardingFilter(RejectAllForwardingFilter.INSTANCE,
                RejectAllForwardingFilter.INSTANCE, new TcpForwardingFilter() {
                    @Override
                    public boolean canListen(SshdSocketAddress address, Session session) {
                        return false;
                    }

                    @Override
                    public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
                        return type == Type.Forwarded;
                    }
                }));

        CoreModuleProperties.TCP_NODELAY.set(client, true);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, heartbeat);
        // with a reply wait MINA sends keepalive@openssh.com wanting a reply, and drops a silent peer
        CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, heartbeat);
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, MISSED_HEARTBEATS);
        return client;
    }
}
