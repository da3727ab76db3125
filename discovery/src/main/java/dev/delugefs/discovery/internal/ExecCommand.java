package dev.delugefs.discovery.internal;

import dev.delugefs.discovery.PeerIdentity;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/** Plumbing between one MINA exec channel and the dispatcher; the work happens on the shared pool. */
final class ExecCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(ExecCommand.class);

    private final String commandLine;
    private final CommandDispatcher dispatcher;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private volatile Future<?> running;

    ExecCommand(String commandLine, CommandDispatcher dispatcher) {
        this.commandLine = commandLine;
        this.dispatcher = dispatcher;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        PeerIdentity peer = channel.getSession().getAttribute(ServerAttributes.PEER);
        if (peer == null) {
            // MINA opens channels only after authentication, so this means an authenticator forgot to say who
            finish(CommandDispatcher.fail(err, CommandDispatcher.EXIT_NOT_ALLOWED, "unauthenticated"));
            return;
        }
        Map<String, String> environment = env.getEnv();
        try {
            running = dispatcher.executor().submit(() -> run(environment, peer));
        } catch (RejectedExecutionException e) {
            LOG.warn("refused command '{}' from {}: command pool is full", commandLine, peer);
            finish(CommandDispatcher.fail(err, CommandDispatcher.EXIT_BUSY, "server busy, try again"));
        }
    }

    private void run(Map<String, String> environment, PeerIdentity peer) {
        int status = CommandDispatcher.EXIT_FAILED;
        try {
            status = dispatcher.dispatch(commandLine, environment, peer, in, out, err);
        } finally {
            // even after an Error: a channel without exit status would hang the client until its timeout
            finish(status);
        }
    }

    private void finish(int status) {
        try {
            out.flush();
            err.flush();
        } catch (IOException e) {
            // the client went away; the exit status has no reader either
            LOG.debug("could not flush output of '{}': {}", commandLine, e.toString());
        }
        exit.onExit(status);
    }

    @Override
    public void destroy(ChannelSession channel) {
        Future<?> task = running;
        if (task != null) {
            task.cancel(true);
        }
    }
}
