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

import java.time.Duration;
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
                                   Duration idleTimeout) {
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

        // only "session" channels: no direct-tcpip, so no port forwarding even if a filter slipped
        sshd.setChannelFactories(List.of(ChannelSessionFactory.INSTANCE));
        sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
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
}
