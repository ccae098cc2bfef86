package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore to a time (or TXID) whose history retention removed is refused naming what is left: the oldest restorable
 * state (its time or TXID and file) and the newest. Before: "no files qualify for before ..." and nothing else.
 */
class RestoreAfterRetentionTest {
    @TempDir
    Path tmp;

    private static List<LtxFileInfo> all(String url) throws Exception {
        List<LtxFileInfo> files = new ArrayList<>();
        try (ReplicaClient c = ReplicaClients.open(url)) {
            for (int level = 0; level <= 9; level++) {
                files.addAll(c.listFiles(level, 0, true));
            }
        }
        return files;
    }

    @Test
    void aTimeOrTxidBeforeTheRetainedHistoryNamesTheOldestAndNewestLeft() throws Exception {
        String url = tmp.resolve("replica").toUri().toString();
        CompactRetainCommandTest.writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 8);
        List<LtxFileInfo> l0 = all(url).stream().filter(f -> f.level() == 0).toList();
        Instant early = l0.get(2).createdAt().plusMillis(1); // restorable now: after the third commit
        Path out = tmp.resolve("out.db");
        CliRun before = CliRun.of("restore", url, "-o", out.toString(), "--timestamp", early.toString());
        assertThat(before.exitCode()).as(before.err()).isZero();

        assertThat(CliRun.of("compact", url).exitCode()).isZero();
        CliRun retain = CliRun.of("retain", url, "--keep", "1ms", "--grace", "0s", "--apply");
        assertThat(retain.exitCode()).as(retain.err()).isZero();
        List<LtxFileInfo> left = all(url);
        LtxFileInfo oldest = left.stream().filter(f -> f.minTxid() == 1)
                .min(Comparator.comparing(LtxFileInfo::createdAt)).orElseThrow();
        LtxFileInfo newest = left.stream().max(Comparator.comparing(LtxFileInfo::createdAt)).orElseThrow();
        assertThat(oldest.createdAt()).isAfter(early);

        CliRun refused = CliRun.of("restore", url, "-o", out.toString(), "--force", "--timestamp", early.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("before " + early, "oldest restorable state was created at "
                + oldest.createdAt() + " (L", "/0000000000000001-", "up to " + newest.createdAt());

        long oldestTxid = left.stream().filter(f -> f.minTxid() == 1).mapToLong(LtxFileInfo::maxTxid).min().orElseThrow();
        CliRun byTxid = CliRun.of("restore", url, "-o", out.toString(), "--force", "--txid", Txid.format(2));
        assertThat(byTxid.exitCode()).isEqualTo(1);
        assertThat(byTxid.err()).contains("txid " + Txid.format(2), "oldest restorable TXID is " + Txid.format(oldestTxid));
    }
}
