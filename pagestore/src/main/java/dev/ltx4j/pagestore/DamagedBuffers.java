package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogScanner;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** What opening does with a buffer the scan found damaged (see docs/write-buffer-recovery.md). */
final class DamagedBuffers {
    private DamagedBuffers() {}

    static BufferDamagedException refusal(String location, LogScanner.Result scan) {
        LogScanner.Damage d = scan.damage();
        String what = switch (scan.stop()) {
            case CHECKSUM_MISMATCH -> "fails its checksum";
            case INVALID_RECORD -> "is not a valid record";
            default -> "is torn";
        };
        return new BufferDamagedException(location, "write buffer " + location + " is damaged at offset "
                + d.offset() + ": the record there (transaction " + d.seq() + ") " + what + ", yet "
                + d.committedBytesAfter() + " bytes of intact committed records follow it (" + d.laterCommits()
                + " commit records; the one of transaction " + d.witnessSeq() + " at offset " + d.witnessOffset()
                + " shows transaction " + d.seq() + " was already on disk), so this is not a torn write from a"
                + " crash. The file was left unchanged. To keep the " + scan.transactions().size()
                + " committed transactions before the damage and drop the rest, open it once with"
                + " LITESTREAM_BUFFER_RECOVERY=truncate-damaged (or run: ltx4j buffer recover " + location
                + "); the damaged file is then kept as " + location + ".damaged-<time>",
                d.offset(), d.committedBytesAfter());
    }

    /** Copies the whole damaged file to an owner-only sibling, durably, before recovery truncates it. */
    static String copyAside(LogStorage storage, String name, LogFile file, Clock clock) throws IOException {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(ZoneOffset.UTC).format(clock.instant());
        String aside = name + ".damaged-" + stamp;
        for (int i = 1; storage.exists(aside); i++) {
            aside = name + ".damaged-" + stamp + "-" + i;
        }
        long size = file.size();
        try (LogFile copy = storage.create(aside)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < size; ) {
                int n = file.read(at, chunk.clear());
                if (n <= 0) {
                    break;
                }
                chunk.flip();
                copy.write(at, chunk);
                at += n;
            }
            copy.force();
        }
        storage.syncDirectory();
        return storage.describe(aside);
    }
}
