package dev.ltx4j.compaction;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The two real clients the tests run against, and small helpers over them. */
enum Clients {
    MEMORY, FILE;

    ReplicaClient open(Path dir) throws IOException {
        return switch (this) {
            case MEMORY -> new InMemoryReplicaClient();
            case FILE -> new FileReplicaClient(Files.createDirectories(dir.resolve("replica")));
        };
    }

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static List<LtxFileInfo> level(ReplicaClient client, int level) throws IOException {
        return client.listFiles(level, 0, false);
    }

    static List<LtxFileInfo> all(ReplicaClient client) throws IOException {
        List<LtxFileInfo> out = new ArrayList<>();
        for (int l = 0; l <= 9; l++) {
            out.addAll(client.listFiles(l, 0, false));
        }
        return out;
    }
}
