package dev.ltx4j.cli;

import dev.ltx4j.replica.CountingReplicaClient;
import java.util.LinkedHashMap;
import java.util.Map;

/** Replica requests a command made, by kind, for its report. */
final class Requests {
    private Requests() {}

    static Map<String, Object> toJson(CountingReplicaClient.Counts c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("list", c.lists());
        m.put("read", c.opens());
        m.put("create", c.creates());
        m.put("delete", c.deletes());
        m.put("bytes_read", c.bytesRead());
        m.put("bytes_written", c.bytesWritten());
        return m;
    }

    static String describe(CountingReplicaClient.Counts c) {
        return c.requests() + " requests: " + c.lists() + " list, " + c.opens() + " read, " + c.creates() + " create, "
                + c.deletes() + " delete";
    }
}
