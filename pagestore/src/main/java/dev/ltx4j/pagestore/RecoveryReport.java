package dev.ltx4j.pagestore;

/**
 * What opening a buffer found.
 *
 * @param tail             how the log ended
 * @param transactions     committed transactions recovered (0 for a new file)
 * @param validLength      bytes kept: header plus every intact committed transaction
 * @param originalLength   file size before recovery truncated it
 * @param stopOffset       where scanning stopped (start of the first rejected record, or end of file)
 * @param uncommittedPages page records of a transaction without an intact commit record that were dropped
 */
public record RecoveryReport(TailStatus tail, int transactions, long validLength, long originalLength,
        long stopOffset, int uncommittedPages) {

    /** How the log ended. */
    public enum TailStatus {
        /** No buffer existed; a new one was created. */
        NEW_FILE,
        /** The file ended right after a commit record: nothing discarded. */
        CLEAN_END,
        /** The file ended inside a record or inside an uncommitted transaction (a crash mid-write). */
        TORN_TAIL,
        /** A complete record failed its checksum: damage or stale bytes; everything from it on was dropped. */
        CHECKSUM_MISMATCH,
        /** A record with a valid checksum carried impossible values; everything from it on was dropped. */
        INVALID_RECORD
    }

    /** Bytes removed from the end of the file. */
    public long truncatedBytes() {
        return originalLength - validLength;
    }

    /** True when recovery dropped anything that was not a torn tail (worth a loud log line). */
    public boolean corruptionDetected() {
        return tail == TailStatus.CHECKSUM_MISMATCH || tail == TailStatus.INVALID_RECORD;
    }
}
