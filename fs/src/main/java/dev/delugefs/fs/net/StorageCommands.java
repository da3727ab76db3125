package dev.delugefs.fs.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.delugefs.discovery.ChannelServer;
import dev.delugefs.discovery.CommandRequest;
import dev.delugefs.replication.RecentUse;
import dev.delugefs.swarm.BlockStore;
import dev.delugefs.swarm.ContentReader;

import java.io.IOException;
import dev.delugefs.fs.vfs.StorageSpace;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The control commands about this node's storage (DESIGN.md §6, §9): {@code freespace} and
 * {@code inventory}, the content held complete here with its length and whether it is in recent use.
 * Replication decides with them.
 */
final class StorageCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StorageCommands() {
    }

    static void register(ChannelServer server, BlockStore blocks, StorageSpace space, RecentUse recentUse) {
        server.register("freespace", request -> reply(request, Map.of(
                "free", space.usable(), "total", space.total())));
        server.register("inventory", request -> reply(request, inventory(blocks, recentUse)));
    }

    /** Each entry: {@code id}, {@code length}, and {@code recent} (read or fetched here lately: kept). */
    private static List<Map<String, Object>> inventory(BlockStore blocks, RecentUse recentUse) throws IOException {
        List<Map<String, Object>> contents = new ArrayList<>();
        for (String id : new TreeSet<>(blocks.stored().keySet())) {
            try (ContentReader reader = blocks.open(id)) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("id", id);
                entry.put("length", reader.size());
                entry.put("recent", recentUse.isRecent(id));
                contents.add(entry);
            } catch (NoSuchFileException e) {
                // collected while we listed
            }
        }
        return contents;
    }

    private static int reply(CommandRequest request, Object answer) throws IOException {
        request.stdout().write(JSON.writeValueAsBytes(answer));
        request.stdout().write('\n');
        return 0;
    }
}
