package dev.ltx4j.conformance;

import java.time.Duration;
import java.util.Objects;

/**
 * What a backend declares about itself, so the kit asserts exactly what the backend promises and says so in its
 * report. Start from {@link #defaults()} and change what differs.
 *
 * @param timestampPrecision how far {@code listFiles(..., useMetadata=true)} may put {@code createdAt} from the
 *     LTX header timestamp ({@link Duration#ZERO}: exact to the millisecond)
 * @param timestampsWithoutMetadata whether {@code listFiles(..., useMetadata=false)} also returns the header
 *     timestamp (true for file and Azure; false for S3, which returns its upload time)
 * @param largeObjectBytes size of the "large file" round trip
 * @param paginationFileCount files written for the pagination case (1001 crosses S3's 1000-key pages; use 5001
 *     for Azure's 5000)
 * @param raceThreads concurrent creators in the create-if-absent race
 * @param prefixIsolation whether two clients at sibling prefixes ({@code x/db} and {@code x/db2}) can be opened
 * @param deleteBatchFileCount files deleted in one {@code deleteFiles} call by the batch case (1234 crosses S3's
 *     1000-key DeleteObjects limit with a partial last batch)
 */
public record Capabilities(Duration timestampPrecision, boolean timestampsWithoutMetadata, int largeObjectBytes,
        int paginationFileCount, int raceThreads, boolean prefixIsolation, int deleteBatchFileCount) {

    public Capabilities {
        Objects.requireNonNull(timestampPrecision, "timestampPrecision");
        if (largeObjectBytes < 200 || paginationFileCount < 1 || raceThreads < 2 || deleteBatchFileCount < 2) {
            throw new IllegalArgumentException("capabilities out of range: " + largeObjectBytes + ", "
                    + paginationFileCount + ", " + raceThreads + ", " + deleteBatchFileCount);
        }
    }

    /**
     * Exact timestamps with and without metadata, a 4 MiB large file, 1001 files for pagination (the system property
     * {@code ltx4j.conformance.pagination} overrides it), 8 racing creators, sibling prefixes supported, 1234 files
     * in the batch delete ({@code ltx4j.conformance.deleteBatch} overrides it).
     */
    public static Capabilities defaults() {
        int pagination = Integer.getInteger("ltx4j.conformance.pagination", 1001);
        int deleteBatch = Integer.getInteger("ltx4j.conformance.deleteBatch", 1234);
        return new Capabilities(Duration.ZERO, true, 4 << 20, pagination, 8, true, deleteBatch);
    }

    public Capabilities withTimestampPrecision(Duration precision) {
        return new Capabilities(precision, timestampsWithoutMetadata, largeObjectBytes, paginationFileCount,
                raceThreads, prefixIsolation, deleteBatchFileCount);
    }

    public Capabilities withTimestampsWithoutMetadata(boolean exact) {
        return new Capabilities(timestampPrecision, exact, largeObjectBytes, paginationFileCount, raceThreads,
                prefixIsolation, deleteBatchFileCount);
    }

    public Capabilities withLargeObjectBytes(int bytes) {
        return new Capabilities(timestampPrecision, timestampsWithoutMetadata, bytes, paginationFileCount,
                raceThreads, prefixIsolation, deleteBatchFileCount);
    }

    public Capabilities withPaginationFileCount(int count) {
        return new Capabilities(timestampPrecision, timestampsWithoutMetadata, largeObjectBytes, count, raceThreads,
                prefixIsolation, deleteBatchFileCount);
    }

    public Capabilities withRaceThreads(int threads) {
        return new Capabilities(timestampPrecision, timestampsWithoutMetadata, largeObjectBytes, paginationFileCount,
                threads, prefixIsolation, deleteBatchFileCount);
    }

    public Capabilities withPrefixIsolation(boolean supported) {
        return new Capabilities(timestampPrecision, timestampsWithoutMetadata, largeObjectBytes, paginationFileCount,
                raceThreads, supported, deleteBatchFileCount);
    }

    public Capabilities withDeleteBatchFileCount(int count) {
        return new Capabilities(timestampPrecision, timestampsWithoutMetadata, largeObjectBytes, paginationFileCount,
                raceThreads, prefixIsolation, count);
    }
}
