package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.FileVerifier;
import java.time.Instant;

/**
 * A point-in-time status, what {@code litestream_status()} shows. JSON names (see docs/metrics-and-logs.md):
 * {@code last_sync_epoch_ms} is a clock time, {@code lag_ms} a duration, {@code page_count} the database size in
 * pages.
 *
 * @param mode             {@code write} or {@code read}
 * @param txid             replica TXID of the current state
 * @param pendingCommits   committed transactions not yet in the replica
 * @param lastSyncMillis   clock time of the last successful sync, -1 if none
 * @param lagMillis        read mode: milliseconds since the follower was last known to hold everything the replica
 *                         listed (its last poll that listed the replica, checked continuity and left no gap or
 *                         error), -1 if never; write mode: how long the oldest commit not yet in the replica has
 *                         waited, 0 when nothing is pending (it does not grow while the database is idle)
 * @param conflict         the current conflict, or null
 * @param bufferPath       where the write buffer lives, or null
 * @param pageSize         page size, 0 while unknown
 * @param commit           database size in pages
 * @param lastError        the last sync or poll failure (or replica divergence), or null
 * @param bufferRecovery   what opening the write buffer dropped or found (torn tail, recovered damage), or null
 * @param follower         read mode: poll health, data age and divergence; null in write mode
 * @param verification     what replica-file verification did: files and bytes verified, failures by file
 * @param compaction       compaction, snapshots and retention (write mode; read mode shows them off), or null
 */
public record DatabaseStatus(String mode, long txid, long pendingCommits, long lastSyncMillis, long lagMillis,
        ConflictInfo conflict, String bufferPath, int pageSize, long commit, String lastError,
        String bufferRecovery, FollowerStatus follower, FileVerifier.Stats verification,
        CompactionStatus compaction) {

    /** A status without compaction details. */
    public DatabaseStatus(String mode, long txid, long pendingCommits, long lastSyncMillis, long lagMillis,
            ConflictInfo conflict, String bufferPath, int pageSize, long commit, String lastError,
            String bufferRecovery, FollowerStatus follower, FileVerifier.Stats verification) {
        this(mode, txid, pendingCommits, lastSyncMillis, lagMillis, conflict, bufferPath, pageSize, commit, lastError,
                bufferRecovery, follower, verification, null);
    }

    /** A status without buffer recovery findings or follower details. */
    public DatabaseStatus(String mode, long txid, long pendingCommits, long lastSyncMillis, long lagMillis,
            ConflictInfo conflict, String bufferPath, int pageSize, long commit, String lastError) {
        this(mode, txid, pendingCommits, lastSyncMillis, lagMillis, conflict, bufferPath, pageSize, commit, lastError,
                null, null, null);
    }

    /** A compact JSON object. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"mode\":").append(str(mode));
        b.append(",\"txid\":").append(str(Txid.format(txid)));
        b.append(",\"pending_commits\":").append(pendingCommits);
        b.append(",\"last_sync_epoch_ms\":").append(lastSyncMillis);
        b.append(",\"lag_ms\":").append(lagMillis);
        b.append(",\"page_size\":").append(pageSize);
        b.append(",\"page_count\":").append(commit);
        b.append(",\"buffer_path\":").append(str(bufferPath));
        if (conflict == null) {
            b.append(",\"conflict\":null");
        } else {
            b.append(",\"conflict\":{\"base_txid\":").append(str(Txid.format(conflict.baseTxid())))
                    .append(",\"remote_txid\":").append(str(Txid.format(conflict.remoteTxid())))
                    .append(",\"pending_commits\":").append(conflict.pendingCommits())
                    .append(",\"saved_to\":").append(str(conflict.savedTo() == null ? null : conflict.savedTo().toString()))
                    .append(",\"message\":").append(str(conflict.message())).append('}');
        }
        b.append(",\"last_error\":").append(str(lastError));
        b.append(",\"buffer_recovery\":").append(str(bufferRecovery));
        if (follower != null) {
            appendFollower(b, follower);
        }
        if (verification != null) {
            FileVerifier.Stats v = verification;
            b.append(",\"verification\":{\"enabled\":").append(v.enabled())
                    .append(",\"files_verified\":").append(v.filesVerified())
                    .append(",\"bytes_verified\":").append(v.bytesVerified())
                    .append(",\"files_by_construction\":").append(v.filesByConstruction())
                    .append(",\"verifying\":").append(v.verifying())
                    .append(",\"pages_tracked\":").append(v.pagesHeld())
                    .append(",\"failure_count\":").append(v.failureCount())
                    .append(",\"failures\":[");
            for (int i = 0; i < v.failures().size(); i++) {
                b.append(i == 0 ? "" : ",").append(str(v.failures().get(i)));
            }
            b.append("]}");
        }
        if (compaction != null) {
            b.append(",\"compaction\":").append(compaction.toJson());
        }
        return b.append('}').toString();
    }

    private static void appendFollower(StringBuilder b, FollowerStatus f) {
        b.append(",\"last_poll_epoch_ms\":").append(f.lastPollMillis());
        b.append(",\"last_poll_ok\":").append(f.lastPollMillis() < 0 ? "null" : String.valueOf(f.lastPollOk()));
        b.append(",\"last_poll_error\":").append(str(f.lastPollError()));
        b.append(",\"newest_txid_time\":").append(str(f.newestTxidMillis() < 0 ? null
                : Instant.ofEpochMilli(f.newestTxidMillis()).toString()));
        b.append(",\"data_age_ms\":").append(f.dataAgeMillis());
        FollowerStatus.Divergence d = f.divergence();
        if (d == null) {
            b.append(",\"replica_diverged\":null");
        } else {
            b.append(",\"replica_diverged\":{\"held_txid\":").append(str(Txid.format(d.heldTxid())))
                    .append(",\"reason\":").append(str(d.reason()))
                    .append(",\"at\":").append(str(Instant.ofEpochMilli(d.atMillis()).toString()))
                    .append(",\"reloaded_txid\":").append(d.readsRefused() ? "null" : str(Txid.format(d.reloadedTxid())))
                    .append(",\"reads_refused\":").append(d.readsRefused()).append('}');
        }
        b.append(",\"reloads\":").append(f.reloads());
        b.append(",\"effective_poll_interval_ms\":").append(f.effectivePollIntervalMillis());
        b.append(",\"poll_backoff_max\":").append(f.pollBackoffMax());
        b.append(",\"polls\":").append(f.polls());
    }

    private static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
