package dev.delugefs.fs.net;

import dev.delugefs.discovery.CommandHandler;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.metadata.NamespaceStore;
import dev.delugefs.metadata.VolumeConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code config set replication N}: changes the volume's settings, committed like any change. */
final class ConfigCommand implements CommandHandler {
    static final String NAME = "config";

    private final NamespaceStore store;

    ConfigCommand(NamespaceStore store) {
        this.store = store;
    }

    @Override
    public int run(CommandRequest request) throws IOException {
        if (request.args().size() != 3 || !request.args().get(0).equals("set")
                || !request.args().get(1).equals("replication")) {
            return fail(request, 2, "usage: config set replication N");
        }
        int replication;
        try {
            replication = Integer.parseInt(request.args().get(2));
        } catch (NumberFormatException e) {
            return fail(request, 2, "replication must be a number: " + request.args().get(2));
        }
        if (replication < 1 || replication > VolumeConfig.MAX_REPLICATION) {
            return fail(request, 2, "replication must be 1.." + VolumeConfig.MAX_REPLICATION + ": " + replication);
        }
        store.setReplication(replication);
        request.stdout().write(("{\"replication\":" + replication + "}\n").getBytes(StandardCharsets.UTF_8));
        return 0;
    }

    private static int fail(CommandRequest request, int status, String message) throws IOException {
        request.stderr().write((message + "\n").getBytes(StandardCharsets.UTF_8));
        return status;
    }
}
