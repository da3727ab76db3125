package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.command.CommandFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/** The registry of named commands, and the shared pool they run on. */
public final class CommandDispatcher implements CommandFactory, AutoCloseable {
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BUSY = 75;
    public static final int EXIT_NOT_ALLOWED = 126;
    public static final int EXIT_UNKNOWN = 127;

    private static final Logger LOG = LoggerFactory.getLogger(CommandDispatcher.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    private final Map<String, CommandHandler> handlers = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor executor;

    public CommandDispatcher(int threads, int queueLength) {
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(queueLength), daemonThreads("delugefs-channel-cmd-"));
        executor.allowCoreThreadTimeOut(true);
    }

    public void register(String name, CommandHandler handler) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("command names are lowercase words: " + name);
        }
        if (handlers.putIfAbsent(name, handler) != null) {
            throw new IllegalStateException("command already registered: " + name);
        }
    }

    ExecutorService executor() {
        return executor;
    }

    @Override
    public Command createCommand(ChannelSession channel, String commandLine) {
        return new ExecCommand(commandLine, this);
    }

    int dispatch(String commandLine, Map<String, String> environment, PeerIdentity peer,
                 InputStream in, OutputStream out, OutputStream err) {
        List<String> words = CommandFactory.split(commandLine);
        if (words.isEmpty()) {
            return fail(err, EXIT_UNKNOWN, "empty command");
        }
        String name = words.get(0);
        CommandHandler handler = handlers.get(name);
        if (handler == null) {
            return fail(err, EXIT_UNKNOWN, "unknown command: " + name);
        }
        if (peer.isJoin() && !PeerIdentity.JOIN.equals(name)) {
            LOG.warn("refused command '{}' from joining node at {}: it may only run '{}'",
                    name, peer.remoteAddress(), PeerIdentity.JOIN);
            return fail(err, EXIT_NOT_ALLOWED, "not allowed before joining: " + name);
        }
        try {
            return handler.run(new CommandRequest(name, words.subList(1, words.size()), environment, peer,
                    in, out, err));
        } catch (IOException | RuntimeException e) {
            LOG.warn("command '{}' from {} failed", name, peer, e);
            return fail(err, EXIT_FAILED, name + " failed: " + e.getMessage());
        }
    }

    static int fail(OutputStream err, int status, String message) {
        PrintStream print = new PrintStream(err, true, StandardCharsets.UTF_8);
        print.println(message);
        print.flush();
        return status;
    }

    /** Running commands are interrupted: a node shutting down must not wait for a slow peer. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
