package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.MembershipListener;
import dev.delugefs.discovery.PeerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Peers by node id, each held up by the reporters that currently see it (an mDNS instance, a static
 * address, a source of a composite): one node seen twice is one peer, and it is down only when the last
 * reporter lets go. Events are handed to {@code delivery} while the lock is held, so a serial executor
 * (or a direct one) sees them in the order they happened.
 */
public final class PeerSet {
    private static final Logger LOG = LoggerFactory.getLogger(PeerSet.class);

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final Executor delivery;

    private static final class Entry {
        PeerInfo info;
        final Set<Object> reporters = new HashSet<>();

        Entry(PeerInfo info) {
            this.info = info;
        }
    }

    public PeerSet(Executor delivery) {
        this.delivery = delivery;
    }

    /** The reporter sees the peer now: up if new, changed if it says something new. */
    public synchronized void report(Object reporter, PeerInfo info) {
        Entry entry = entries.get(info.nodeId());
        if (entry == null) {
            entry = new Entry(info);
            entry.reporters.add(reporter);
            entries.put(info.nodeId(), entry);
            emit(l -> l.peerUp(info));
            return;
        }
        entry.reporters.add(reporter);
        boolean changed = !entry.info.sameAs(info);
        entry.info = info;
        if (changed) {
            emit(l -> l.peerChanged(info));
        }
    }

    /** The reporter no longer sees the peer; it is down once nobody does. */
    public synchronized void withdraw(Object reporter, String nodeId) {
        Entry entry = entries.get(nodeId);
        if (entry == null || !entry.reporters.remove(reporter) || !entry.reporters.isEmpty()) {
            return;
        }
        entries.remove(nodeId);
        PeerInfo last = entry.info;
        emit(l -> l.peerDown(last));
    }

    public synchronized Collection<PeerInfo> peers() {
        List<PeerInfo> out = new ArrayList<>(entries.size());
        entries.values().forEach(e -> out.add(e.info));
        return List.copyOf(out);
    }

    public synchronized Optional<PeerInfo> peer(String nodeId) {
        Entry entry = entries.get(nodeId);
        return entry == null ? Optional.empty() : Optional.of(entry.info);
    }

    public synchronized void addListener(MembershipListener listener) {
        listeners.add(listener);
        for (Entry entry : entries.values()) {
            PeerInfo info = entry.info;
            delivery.execute(() -> call(listener, l -> l.peerUp(info)));
        }
    }

    private void emit(Consumer<MembershipListener> event) {
        for (MembershipListener listener : listeners) {
            delivery.execute(() -> call(listener, event));
        }
    }

    private static void call(MembershipListener listener, Consumer<MembershipListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            // one broken listener must not stop the news reaching the others
            LOG.warn("membership listener {} failed", listener, e);
        }
    }
}
