package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.AuthorizedKeys;
import dev.delugefs.discovery.NodeKeys;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.SessionHeartbeatController.HeartbeatType;
import org.apache.sshd.common.CommonModuleProperties;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;

import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns a stock MINA server into the channel: everything a general-purpose SSH server offers (shell,
 * SFTP/SCP, forwarding, agent, X11, keyboard-interactive) is switched off, so only exec of registered
 * commands remains.
 */
public final class SshServerSetup {
    private SshServerSetup() {
    }

    public static SshServer create(NodeKeys hostKeys, AuthorizedKeys authorizedKeys,
                                   Supplier<Optional<String>> joinSecretHash, CommandDispatcher commands,
                                   Duration idleTimeout, Consumer<PeerIdentity> sessionClosed) {
        SshCrypto.ensureEd25519();
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKeys.keyPair()));
        sshd.setKeyExchangeFactories(SshCrypto.keyExchanges(ServerBuilder.DH2KEX));

        sshd.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE, UserAuthPasswordFactory.INSTANCE));
        sshd.setPublickeyAuthenticator(new MemberKeyAuthenticator(authorizedKeys));
        sshd.setPasswordAuthenticator(new JoinPasswordAuthenticator(joinSecretHash));
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setHostBasedAuthenticator(null);

        // only "session" channels: no direct-tcpip, so a client cannot reach anything through us
        sshd.setChannelFactories(List.of(ChannelSessionFactory.INSTANCE));
        sshd.setForwardingFilter(ForwardingFilter.asForwardingFilter(
                RejectAllForwardingFilter.INSTANCE, RejectAllForwardingFilter.INSTANCE, new ReverseLinkFilter()));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionClosed(Session session) {
                PeerIdentity peer = session.getAttribute(ServerAttributes.PEER);
                if (peer != null && !peer.isJoin()) {
                    sessionClosed.accept(peer);
                }
            }
        });
        sshd.setAgentFactory(null);
        sshd.setShellFactory(null);
        sshd.setSubsystemFactories(List.of());
        sshd.setCommandFactory(commands);

        CoreModuleProperties.TCP_NODELAY.set(sshd, true);
        // liveness comes from the clients' keep-alives; see ChannelServer.Builder#idleTimeout
        CommonModuleProperties.SESSION_HEARTBEAT_TYPE.set(sshd, HeartbeatType.NONE);
        CoreModuleProperties.IDLE_TIMEOUT.set(sshd, idleTimeout);
        CoreModuleProperties.AUTH_TIMEOUT.set(sshd, Duration.ofSeconds(30));
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(sshd, 10);
        return sshd;
    }

    /**
     * A member may have us listen on our loopback and pass connections there back to it (its reverse link,
     * for a node we cannot dial); nothing else: no listening on other addresses, no connecting anywhere.
     */
    private static final class ReverseLinkFilter implements TcpForwardingFilter {
        @Override
        public boolean canListen(SshdSocketAddress address, Session session) {
            PeerIdentity peer = session.getAttribute(ServerAttributes.PEER);
            return peer != null && !peer.isJoin() && isLoopback(address.getHostName());
        }

        @Override
        public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
            return false;
        }

        private static boolean isLoopback(String host) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }
}
