package dev.delugefs.discovery;

/**
 * Opens the channel session to a peer known only by an address ({@code --peer}); the caller decides which
 * host keys it trusts there, e.g. {@link ChannelClient#anyMember}.
 */
@FunctionalInterface
public interface PeerDialer {

    PeerSession dial(HostPort address);
}
