package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import bt.net.SharedSelector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bt's peer-connection selector with registration that never waits for the receiving loop. bt 1.10
 * registers a new connection by spinning on a lock that its receiving thread holds while it selects
 * (up to 1 s at a time); with two cores that spin cost a new connection 0–500 ms before its handshake
 * was even sent (fixed upstream after 1.10, bt #252). Here a registration is queued and the selector
 * woken; the receiving thread, the only one that selects, registers queued channels before each select.
 */
final class QueuedRegistrationSelector extends SharedSelector {
    private static final Logger LOG = LoggerFactory.getLogger(QueuedRegistrationSelector.class);

    private final Selector delegate;
    private final Queue<Registration> pending = new ConcurrentLinkedQueue<>();

    QueuedRegistrationSelector(Selector delegate) {
        super(delegate);
        this.delegate = delegate;
    }

    @Override
    public void wakeupAndRegister(SelectableChannel channel, int ops, Object attachment) {
        pending.add(new Registration(channel, ops, attachment));
        delegate.wakeup();
    }

    @Override
    public int select(long timeout) throws IOException {
        registerPending();
        return pending.isEmpty() ? super.select(timeout) : super.selectNow();
    }

    @Override
    public int select() throws IOException {
        return select(0);
    }

    @Override
    public int selectNow() throws IOException {
        registerPending();
        return super.selectNow();
    }

    private void registerPending() {
        for (Registration r; (r = pending.poll()) != null; ) {
            try {
                r.channel.register(delegate, r.ops, r.attachment);
            } catch (ClosedChannelException e) {
                LOG.debug("connection closed before it was registered: {}", r.channel);
            }
        }
    }

    private record Registration(SelectableChannel channel, int ops, Object attachment) {
    }
}
