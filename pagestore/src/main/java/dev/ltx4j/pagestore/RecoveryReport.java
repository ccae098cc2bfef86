package dev.ltx4j.pagestore;

import java.util.Locale;

/**
 * What opening a buffer found.
 *
 * @param tail             how the log ended
 * @param transactions     committed transactions recovered (0 for a new file)
 * @param validLength      bytes kept: header plus every intact committed transaction
 * @param originalLength   file size before recovery truncated it
 * @param stopOffset       where scanning stopped (start of the first rejected record, or end of file)
 * @param uncommittedPages page records of a transaction without an intact commit record that were dropped
 * @param damagedCopy      where the damaged file was copied before {@link TailStatus#DAMAGE_RECOVERED}, else null
 */
public record RecoveryReport(TailStatus tail, int transactions, long validLength, long originalLength,
        long stopOffset, int uncommittedPages, String damagedCopy) {

    /** A report without a damaged copy. */
    public RecoveryReport(TailStatus tail, int transactions, long validLength, long originalLength, long stopOffset,
            int uncommittedPages) {
        this(tail, transactions, validLength, originalLength, stopOffset, uncommittedPages, null);
    }

    /** How the log ended. */
    public enum TailStatus {
        /** No buffer existed; a new one was created. */
        NEW_FILE,
        /** The file ended right after a commit record: nothing discarded. */
        CLEAN_END,
        /** The file ended inside a record or inside an uncommitted transaction (a crash mid-write). */
        TORN_TAIL,
        /**
         * A complete record failed its checksum and nothing after it proved it durable: stale or torn bytes of
         * the last writes before a crash; everything from it on was dropped.
         */
        CHECKSUM_MISMATCH,
        /** A record with a valid checksum carried impossible values, nothing after it proved durable; dropped. */
        INVALID_RECORD,
        /**
         * Damage to records that had been forced (intact commits followed it); with
         * {@link BufferRecovery#TRUNCATE_DAMAGED} the file was copied to {@link #damagedCopy()} and the committed
         * prefix before the damage kept.
         */
        DAMAGE_RECOVERED
    }

    /** Bytes removed from the end of the file. */
    public long truncatedBytes() {
        return originalLength - validLength;
    }

    /** True when recovery dropped anything that was not a plain torn tail (worth a loud log line). */
    public boolean corruptionDetected() {
        return tail == TailStatus.CHECKSUM_MISMATCH || tail == TailStatus.INVALID_RECORD
                || tail == TailStatus.DAMAGE_RECOVERED;
    }

    /** True when opening dropped or found anything worth telling the operator. */
    public boolean noteworthy() {
        return tail != TailStatus.NEW_FILE && tail != TailStatus.CLEAN_END;
    }

    /** One line for logs and status, naming the buffer. */
    public String describe(String location) {
        return switch (tail) {
            case NEW_FILE -> "write buffer " + location + " created";
            case CLEAN_END -> "write buffer " + location + " recovered " + transactions + " committed transactions";
            case TORN_TAIL, CHECKSUM_MISMATCH, INVALID_RECORD -> "write buffer " + location + " recovered "
                    + transactions + " committed transactions and truncated a torn tail of " + truncatedBytes()
                    + " bytes at offset " + stopOffset + " (" + tail.name().toLowerCase(Locale.ROOT)
                    + (uncommittedPages > 0 ? ", " + uncommittedPages + " uncommitted pages" : "") + ")";
            case DAMAGE_RECOVERED -> "write buffer " + location + " was damaged at offset " + stopOffset
                    + "; kept the " + transactions + " committed transactions before it, dropped " + truncatedBytes()
                    + " bytes from it on; the damaged file is kept as " + damagedCopy;
        };
    }
}
