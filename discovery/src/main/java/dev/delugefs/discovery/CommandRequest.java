package dev.delugefs.discovery;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * One command run over the channel. The streams belong to the SSH channel: the handler need not close them,
 * and stdin ends when the client sends EOF. {@code environment} holds what the client sent with SSH "env"
 * requests, e.g. {@code GIT_PROTOCOL=version=2} from git clients.
 */
public record CommandRequest(String name, List<String> args, Map<String, String> environment, PeerIdentity peer,
                             InputStream stdin, OutputStream stdout, OutputStream stderr) {
    public CommandRequest {
        args = List.copyOf(args);
        environment = Map.copyOf(environment);
    }
}
