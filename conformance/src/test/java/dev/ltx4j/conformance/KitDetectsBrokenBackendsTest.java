package dev.ltx4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Mutation check of the kit: each broken backend below violates one clause, and running the kit against it must
 * fail exactly that clause (and not the unrelated ones), so a passing kit run means something.
 */
class KitDetectsBrokenBackendsTest {

    /** Delegates to a correct in-memory client; subclasses break one behaviour. */
    abstract static class Broken extends ForwardingReplicaClient {
        final InMemoryReplicaClient ok;

        Broken(InMemoryReplicaClient ok) {
            super(ok);
            this.ok = ok;
        }

        @Override
        public String type() {
            return "broken";
        }

        @Override
        public void close() {}
    }

    /** Azure/GCS bug #1456: seek is a prefix match, so only min == seek is listed. */
    static class ExactSeekKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                    List<LtxFileInfo> all = ok.listFiles(level, 0, meta);
                    return seek == 0 ? all : all.stream().filter(f -> f.minTxid() == seek).toList();
                }
            };
        }
    }

    /** Returns the store's order without sorting (reverse here). */
    static class UnsortedKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                    List<LtxFileInfo> all = new ArrayList<>(ok.listFiles(level, seek, meta));
                    Collections.reverse(all);
                    return all;
                }
            };
        }
    }

    /** Last writer wins instead of create-if-absent. */
    static class OverwritingKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                    ok.deleteFiles(List.of(new LtxFileInfo(level, min, max, 0, null)));
                    return ok.createFile(level, min, max, body);
                }
            };
        }
    }

    /** Correct on an enforcing store, but trusts a store that ignores the condition: every create overwrites. */
    static class TrustsIgnoringStoreKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        final InMemoryReplicaClient.Bucket ignoring = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return bucket.client(prefix);
        }

        @Override
        protected Optional<ReplicaClient> openClientOnStoreIgnoringConditions(String prefix) {
            return Optional.of(new Broken(ignoring.client(prefix)) {
                @Override
                public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                    ok.deleteFiles(List.of(new LtxFileInfo(level, min, max, 0, null)));
                    return ok.createFile(level, min, max, body);
                }
            });
        }
    }

    /**
     * A backend that retries throttling three times inside (as an SDK does) and reports the last failure as a plain
     * transient one, or ({@link HonestThrottledKit}) as {@link ReplicaTransientException#backendRetried} (true).
     */
    static class ThrottledKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

        boolean honest() {
            return false;
        }

        @Override
        protected ReplicaClient openClient(String prefix) {
            return bucket.client(prefix);
        }

        private ReplicaTransientException throttled() {
            requests.addAndGet(3);
            return honest() ? ReplicaTransientException.backendRetried("503 SlowDown after 3 requests", null, 3)
                    : new ReplicaTransientException("503 SlowDown");
        }

        @Override
        protected Optional<ThrottledStore> openThrottledClient(String prefix) {
            return Optional.of(new ThrottledStore(new Broken(bucket.client(prefix)) {
                @Override
                public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                    throw throttled();
                }

                @Override
                public InputStream openFile(int level, long min, long max, long offset, long length)
                        throws ReplicaException {
                    throw throttled();
                }

                @Override
                public void deleteFiles(java.util.Collection<LtxFileInfo> files) throws ReplicaException {
                    throw throttled();
                }

                @Override
                public void deleteAll() throws ReplicaException {
                    throw throttled();
                }
            }, requests::get));
        }
    }

    static class HonestThrottledKit extends ThrottledKit {
        @Override
        boolean honest() {
            return true;
        }
    }

    /** S3-style 416 surfaced as an error for offset >= size. */
    static class RangeErrorKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public InputStream openFile(int level, long min, long max, long offset, long length)
                        throws ReplicaException {
                    long size = ok.readRange(level, min, max, 0, 0).length;
                    if (offset >= size) {
                        throw new ReplicaTransientException("416 InvalidRange");
                    }
                    return ok.openFile(level, min, max, offset, length);
                }
            };
        }
    }

    /** A level outside 0..9 escapes as an unchecked exception, as the file backend's once did. */
    static class UncheckedLevelKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                    if (level < MIN_LEVEL || level > MAX_LEVEL) {
                        throw new IllegalArgumentException("level must be 0..9: " + level);
                    }
                    return ok.listFiles(level, seek, meta);
                }
            };
        }
    }

    /** A delete that reports success but keeps the files. */
    static class KeepsFilesKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public void deleteFiles(Collection<LtxFileInfo> files) {}
            };
        }
    }

    /** A delete that fails on a file that is not there (not idempotent). */
    static class FailsOnMissingKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
                    for (LtxFileInfo f : files) {
                        if (f.level() >= MIN_LEVEL && f.level() <= MAX_LEVEL
                                && ok.listFiles(f.level(), f.minTxid(), false).stream().noneMatch(g -> g.range().equals(f.range()))) {
                            throw new ReplicaNotFoundException("no such file " + f);
                        }
                        ok.deleteFiles(List.of(f));
                    }
                }
            };
        }
    }

    /** S3's 1000-key limit handled by sending one DeleteObjects request and dropping the rest. */
    static class FirstThousandKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
                    List<LtxFileInfo> all = new ArrayList<>(files);
                    ok.deleteFiles(all.subList(0, Math.min(1000, all.size())));
                }
            };
        }
    }

    /** A delete that lists the level first, even for an empty collection. */
    static class RequestOnEmptyKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        final InMemoryReplicaClient.Bucket offline = new InMemoryReplicaClient.Bucket();

        RequestOnEmptyKit() {
            offline.setReachable(false);
        }

        private static ReplicaClient listsFirst(InMemoryReplicaClient c) {
            return new Broken(c) {
                @Override
                public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
                    ok.listFiles(0, 0, false);
                    ok.deleteFiles(files);
                }
            };
        }

        @Override
        protected ReplicaClient openClient(String prefix) {
            return listsFirst(bucket.client(prefix));
        }

        @Override
        protected Optional<ReplicaClient> openUnreachableClient(String prefix) {
            return Optional.of(listsFirst(offline.client(prefix)));
        }
    }

    /** A delete by key prefix "<min>-": it also removes files with the same min TXID and another max. */
    static class PrefixDeleteKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
                    List<LtxFileInfo> doomed = new ArrayList<>(files);
                    for (LtxFileInfo f : files) {
                        if (f.level() >= MIN_LEVEL && f.level() <= MAX_LEVEL) {
                            ok.listFiles(f.level(), f.minTxid(), false).stream()
                                    .filter(g -> g.minTxid() == f.minTxid()).forEach(doomed::add);
                        }
                    }
                    ok.deleteFiles(doomed);
                }
            };
        }
    }

    /** deleteAll that deletes one listing page (1000 keys) per level. */
    static class DeleteAllFirstPageKit extends ReplicaClientConformanceTest {
        final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

        @Override
        protected ReplicaClient openClient(String prefix) {
            return new Broken(bucket.client(prefix)) {
                @Override
                public void deleteAll() throws ReplicaException {
                    for (int level = MIN_LEVEL; level <= MAX_LEVEL; level++) {
                        List<LtxFileInfo> files = ok.listFiles(level, 0, false);
                        ok.deleteFiles(files.subList(0, Math.min(1000, files.size())));
                    }
                }
            };
        }
    }

    private static Map<String, ClauseReport.Outcome> run(Class<?> kit) {
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(kit)).build());
        return ClauseReport.results(kit);
    }

    @Test
    void prefixMatchSeekFailsTheGapClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(ExactSeekKit.class);
        assertThat(r.get("list.seek.gap")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("list.seek.exact")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("list.order")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.get("read.full")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void unsortedListingFailsOrderClauses() {
        Map<String, ClauseReport.Outcome> r = run(UnsortedKit.class);
        assertThat(r.get("list.order")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("list.order.same-min")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("list.pagination")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("create.exists")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void overwritingCreateFailsCreateIfAbsentClauses() {
        Map<String, ClauseReport.Outcome> r = run(OverwritingKit.class);
        assertThat(r.get("create.exists")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("create.race")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("list.order")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void trustingAStoreThatIgnoresTheConditionFailsTheUnenforcedClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(TrustsIgnoringStoreKit.class);
        assertThat(r.get("create.unenforced")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("create.exists")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(1);
        assertThat(run(OverwritingKit.class).get("create.unenforced")).as("skipped where no such client is offered")
                .isEqualTo(ClauseReport.Outcome.SKIP);
    }

    @Test
    void rangeErrorAtEndFailsTheOffsetClauses() {
        Map<String, ClauseReport.Outcome> r = run(RangeErrorKit.class);
        assertThat(r.get("read.offset-at-size")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("read.offset-beyond-size")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("read.middle")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(2);
    }

    @Test
    void uncheckedExceptionForABadLevelFailsTheArgumentClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(UncheckedLevelKit.class);
        assertThat(r.get("args.bad-level")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("args.negative-range")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(1);
    }

    @Test
    void deleteThatKeepsFilesFailsTheDeleteClauses() {
        Map<String, ClauseReport.Outcome> r = run(KeepsFilesKit.class);
        for (String clause : List.of("delete.named-only", "delete.gone", "delete.multi-level", "delete.batch-over-limit",
                "delete.neighbours", "delete.recreate", "delete.concurrent", "consistency.read-list-after-write-delete")) {
            assertThat(r.get(clause)).as(clause).isEqualTo(ClauseReport.Outcome.FAIL);
        }
        assertThat(r.get("delete.empty")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.get("delete-all.everything")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.get("read.full")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void deleteThatFailsOnMissingFilesFailsTheIdempotenceClauses() {
        Map<String, ClauseReport.Outcome> r = run(FailsOnMissingKit.class);
        assertThat(r.get("delete.idempotent")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete.duplicates")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete.named-only")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.get("delete.batch-over-limit")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.get("delete.gone")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void deleteThatDropsAllButTheFirstThousandFailsTheBatchClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(FirstThousandKit.class);
        assertThat(r.get("delete.batch-over-limit")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(1);
    }

    @Test
    void requestForAnEmptyDeleteFailsTheNoRequestClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(RequestOnEmptyKit.class);
        assertThat(r.get("delete.empty.no-request")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete.empty")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(1);
    }

    @Test
    void deleteByKeyPrefixFailsTheNeighboursClause() {
        Map<String, ClauseReport.Outcome> r = run(PrefixDeleteKit.class);
        assertThat(r.get("delete.neighbours")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete.multi-level")).as("keeps L9 1-20 beside the deleted L9 1-10").isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete.named-only")).isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(2);
    }

    @Test
    void deleteAllOfOnePageFailsTheManyClause() {
        Map<String, ClauseReport.Outcome> r = run(DeleteAllFirstPageKit.class);
        assertThat(r.get("delete-all.many")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.get("delete-all.everything")).isEqualTo(ClauseReport.Outcome.PASS);
    }

    @Test
    void aBackendThatHidesItsOwnRetriesFailsTheThrottledClauseOnly() {
        Map<String, ClauseReport.Outcome> r = run(ThrottledKit.class);
        assertThat(r.get("errors.throttled.backend-retried")).isEqualTo(ClauseReport.Outcome.FAIL);
        assertThat(r.values()).filteredOn(o -> o == ClauseReport.Outcome.FAIL).hasSize(1);
        assertThat(run(HonestThrottledKit.class).get("errors.throttled.backend-retried"))
                .isEqualTo(ClauseReport.Outcome.PASS);
        assertThat(run(UnsortedKit.class).get("errors.throttled.backend-retried")).as("skipped where not offered")
                .isEqualTo(ClauseReport.Outcome.SKIP);
    }
}
