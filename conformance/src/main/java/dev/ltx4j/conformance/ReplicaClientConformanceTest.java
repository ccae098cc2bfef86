// Over 500 lines on purpose: a backend extends this one class to inherit every clause (JUnit runs inherited tests).
package dev.ltx4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.RetryingReplicaClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link ReplicaClient} contract as executable tests. Every test checks one clause, tagged at the start of its
 * display name ({@code [list.seek.gap] ...}); when the class finishes, {@link ClauseReport} prints which clauses
 * passed, failed or were skipped.
 *
 * <h2>Using the kit for a backend</h2>
 * Add {@code dev.ltx4j:conformance} as a test dependency and extend this class:
 * <pre>{@code
 * class MyBackendConformanceTest extends ReplicaClientConformanceTest {
 *     @Override
 *     protected ReplicaClient openClient(String prefix) {
 *         return new MyReplicaClient(bucket, prefix);       // files under <prefix>/...
 *     }
 *
 *     @Override
 *     protected Capabilities capabilities() {               // optional: declare what differs from the defaults
 *         return Capabilities.defaults().withTimestampsWithoutMetadata(false)
 *                 .withTimestampPrecision(Duration.ofMillis(1));
 *     }
 *
 *     @Override
 *     protected Optional<RawStore> rawStore(String prefix) { // optional: enables the junk-is-ignored cases
 *         return Optional.of(new MyRawStore(bucket, prefix));
 *     }
 * }
 * }</pre>
 * Each test gets a fresh random prefix {@code <base>/<16 hex>/db} (and a sibling {@code .../db2} for isolation
 * cases, which deliberately shares the string prefix {@code db}). After each test the kit calls
 * {@link ReplicaClient#deleteAll()}, which must succeed, and closes the clients. The random base comes from the
 * system property {@code ltx4j.conformance.seed} when set, so a failing run can be repeated.
 *
 * <h2>Contract points the kit pins where Litestream's backends disagree</h2>
 * <ul>
 *   <li>{@code offset >= size} on a ranged read yields an empty stream (S3/Azure return 416; clients must map it).</li>
 *   <li>Seek returns files with {@code minTxid >= seek}, never a prefix match (Azure/GCS bug #1456).</li>
 *   <li>Listings are sorted by unsigned (min, max) whatever the store returns.</li>
 *   <li>{@code createFile} is create-if-absent: an existing name is {@link ReplicaAlreadyExistsException} and keeps
 *       its content. Also where the store ignores the condition ({@code create.unenforced}, where the backend offers
 *       {@link #openClientOnStoreIgnoringConditions}): the backend must find that out and refuse, never overwrite
 *       (S3: {@code If-None-Match: *} dropped by the store or a proxy).</li>
 *   <li>Retries do not nest ({@code errors.throttled.backend-retried}, where the backend offers
 *       {@link #openThrottledClient}): a failure after the backend's own retries is
 *       {@link ReplicaTransientException#backendRetried} with the number of requests the store saw, so the engine's
 *       {@link RetryingReplicaClient} counts them instead of repeating them up to its attempt limit.</li>
 *   <li>One replica, one identity ({@code identity.canonical}, where the backend offers {@link #identitySpellings}):
 *       every spelling of a replica's URL has the same secret-free
 *       {@link dev.ltx4j.replica.ReplicaClientProvider#canonicalIdentity} and reaches the same objects; look-alike
 *       URLs of other replicas have other identities. Hosts key their engines by it (one writer per replica).</li>
 * </ul>
 *
 * <h2>Deletion: the contract of {@link ReplicaClient#deleteFiles} and {@link ReplicaClient#deleteAll}, clause by
 * clause</h2>
 * Deletion is the one destructive operation (compaction's retention is its user), so each sentence of the contract
 * has its own clause:
 * <ul>
 *   <li>"Deletes the named files (only level and range of each info are used)": {@code delete.named-only};
 *       nothing else goes: {@code delete.neighbours} (same level, same range at other levels, names sharing a
 *       prefix); files at several levels in one call: {@code delete.multi-level}; any number of files in one call
 *       (the backend batches, e.g. S3's 1000-key DeleteObjects): {@code delete.batch-over-limit}.</li>
 *   <li>A deleted file is gone at once, for listings with and without metadata and for every read
 *       ({@link ReplicaNotFoundException}): {@code delete.gone}, {@code consistency.read-list-after-write-delete};
 *       its name is free for a new create: {@code delete.recreate}.</li>
 *   <li>"Idempotent: files already gone are not an error": {@code delete.idempotent} (twice, never existed),
 *       {@code delete.duplicates} (one name twice in a call), {@code delete.concurrent} (racing deleters).</li>
 *   <li>"An empty collection makes no request": {@code delete.empty}, and {@code delete.empty.no-request} where the
 *       backend offers {@link #openUnreachableClient}.</li>
 *   <li>A bad level fails before anything is deleted: {@code args.bad-level}.</li>
 *   <li>{@code deleteAll}: every level, more than a listing page ({@code delete-all.everything},
 *       {@code delete-all.many}), an empty replica ({@code delete-all.empty}), never a sibling prefix
 *       ({@code delete-all.prefix-isolation}).</li>
 * </ul>
 */
@ExtendWith(ClauseReport.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ReplicaClientConformanceTest {
    private static final long TS = 1_700_000_000_123L;

    /** The client under test, at a fresh prefix, created before each test. */
    protected ReplicaClient client;
    private String prefix;
    private final List<ReplicaClient> opened = new ArrayList<>();
    private final List<ReplicaClient> unreachable = new ArrayList<>();
    private long seed;

    /**
     * Opens a client whose files live under {@code prefix} (slash-separated, no leading or trailing slash). Called
     * for each test with a fresh prefix, and again with a sibling prefix for isolation cases.
     */
    protected abstract ReplicaClient openClient(String prefix) throws Exception;

    /** What the backend supports; defaults to {@link Capabilities#defaults()}. */
    protected Capabilities capabilities() {
        return Capabilities.defaults();
    }

    /**
     * A client configured as {@link #openClient} would be for {@code prefix}, but whose storage cannot be reached (an
     * endpoint on a closed port, a root below a regular file): every request it sends fails with a
     * {@link ReplicaException}. Enables {@code [delete.empty.no-request]}; empty skips it.
     */
    protected Optional<ReplicaClient> openUnreachableClient(String prefix) throws Exception {
        return Optional.empty();
    }

    /**
     * A client configured as {@link #openClient} would be for {@code prefix}, but whose store accepts the backend's
     * create-if-absent condition and ignores it (for S3: a store, or a proxy in front of one, that drops
     * {@code If-None-Match: *}, as S3 did before August 2024 and some S3-compatible stores still do), so every create
     * would overwrite. It may reach other storage than {@link #openClient}. Enables {@code [create.unenforced]}; empty
     * (the default) skips it. A backend whose storage cannot ignore the condition (a file system's hard link) offers
     * none.
     */
    protected Optional<ReplicaClient> openClientOnStoreIgnoringConditions(String prefix) throws Exception {
        return Optional.empty();
    }

    /**
     * A client configured as {@link #openClient} would be for {@code prefix}, but whose store throttles every request
     * (see {@link ThrottledStore}). Enables {@code [errors.throttled.backend-retried]}; empty (the default) skips it.
     */
    protected Optional<ThrottledStore> openThrottledClient(String prefix) throws Exception {
        return Optional.empty();
    }

    /** Raw access to the store under {@code prefix}, for the junk cases; empty skips them. */
    protected Optional<RawStore> rawStore(String prefix) throws Exception {
        return Optional.empty();
    }

    /**
     * Spellings of the replica at {@code prefix} as URLs of this backend, for {@code [identity.canonical]}: hosts key
     * their engines by {@link dev.ltx4j.replica.ReplicaClientProvider#canonicalIdentity}, so one replica must have
     * one identity. Empty (the default) skips the clause.
     */
    protected Optional<IdentitySpellings> identitySpellings(String prefix) throws Exception {
        return Optional.empty();
    }

    @BeforeEach
    final void openFreshClient(TestInfo info) throws Exception {
        long base = Long.getLong("ltx4j.conformance.seed", System.nanoTime());
        seed = base ^ info.getDisplayName().hashCode();
        prefix = "ltx4j-conformance/" + String.format("%016x", new SplittableRandom(seed).nextLong());
        client = open(prefix + "/db");
    }

    @AfterEach
    final void cleanUp() throws Exception {
        try {
            for (ReplicaClient c : opened) {
                c.deleteAll();
            }
            for (ReplicaClient c : opened) {
                assertThat(c.listFiles(0, 0, false)).as("deleteAll left files behind").isEmpty();
            }
        } finally {
            for (ReplicaClient c : opened) {
                c.close();
            }
            opened.clear();
            unreachable.forEach(ReplicaClient::close);
            unreachable.clear();
        }
    }

    private ReplicaClient open(String p) throws Exception {
        ReplicaClient c = openClient(p);
        opened.add(c);
        return c;
    }

    @Test
    @DisplayName("[identity.canonical] every spelling of one replica has one secret-free identity, and reaches its objects")
    public void identityCanonical() throws Exception {
        Optional<IdentitySpellings> spellings = identitySpellings(prefix + "/same");
        assumeThat(spellings).as("the backend gives no URL spellings (identitySpellings)").isPresent();
        IdentitySpellings s = spellings.get();
        String first = identity(s, s.sameReplica().get(0));
        assertThat(identity(s, s.sameReplica().get(0))).as("deterministic").isEqualTo(first);
        assertThat(dev.ltx4j.replica.ReplicaUrl.redact(first)).as("no secret, no user info").isEqualTo(first);
        List<ReplicaClient> clients = new ArrayList<>();
        for (String url : s.sameReplica()) {
            assertThat(identity(s, url)).as("identity of %s", dev.ltx4j.replica.ReplicaUrl.redact(url)).isEqualTo(first);
            clients.add(track(s.provider().open(dev.ltx4j.replica.ReplicaUrl.parse(url), s.env())));
        }
        clients.get(0).createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1)));
        for (ReplicaClient c : clients) {
            assertThat(ranges(c.listFiles(0, 0, false))).as("one replica: one set of objects").containsExactly(r(1, 1));
        }
        for (String url : s.otherReplica()) {
            assertThat(identity(s, url)).as("identity of other replica %s", dev.ltx4j.replica.ReplicaUrl.redact(url))
                    .isNotEqualTo(first);
            ReplicaClient other = track(s.provider().open(dev.ltx4j.replica.ReplicaUrl.parse(url), s.env()));
            assertThat(other.listFiles(0, 0, false)).as("another replica sees none of its objects").isEmpty();
        }
    }

    private static String identity(IdentitySpellings s, String url) throws ReplicaException {
        return s.provider().canonicalIdentity(dev.ltx4j.replica.ReplicaUrl.parse(url), s.env());
    }

    private ReplicaClient track(ReplicaClient c) {
        opened.add(c);
        return c;
    }

    // ---------------------------------------------------------------- helpers

    private LtxFileInfo put(int level, long min, long max) throws ReplicaException {
        return client.createFile(level, min, max, LtxBody.of(LtxTestFiles.body(min, max)));
    }

    private static List<long[]> ranges(List<LtxFileInfo> files) {
        List<long[]> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            out.add(new long[] {f.minTxid(), f.maxTxid()});
        }
        return out;
    }

    private static long[] r(long min, long max) {
        return new long[] {min, max};
    }

    private List<long[]> list(int level, long seek) throws ReplicaException {
        return ranges(client.listFiles(level, seek, false));
    }

    private static byte[] read(ReplicaClient c, int level, long min, long max, long offset, long length)
            throws ReplicaException {
        return c.readRange(level, min, max, offset, length);
    }

    private byte[] bytes(int size) {
        return LtxTestFiles.body(1, 2, TS, size, seed);
    }

    // ---------------------------------------------------------------- listing

    @Test
    @DisplayName("[list.empty] an empty replica lists nothing at any level")
    public void listEmpty() throws Exception {
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            assertThat(client.listFiles(level, 0, false)).isEmpty();
            assertThat(client.listFiles(level, 0, true)).isEmpty();
        }
    }

    @Test
    @DisplayName("[list.order] files are listed ascending by min TXID whatever the write order")
    public void listOrder() throws Exception {
        put(0, 4, 8);
        put(0, 1, 1);
        put(0, 9, 9);
        put(0, 2, 3);
        assertThat(list(0, 0)).containsExactly(r(1, 1), r(2, 3), r(4, 8), r(9, 9));
        assertThat(ranges(client.listFiles(0, 0, true))).containsExactly(r(1, 1), r(2, 3), r(4, 8), r(9, 9));
    }

    @Test
    @DisplayName("[list.order.same-min] files with the same min TXID are ordered by max TXID")
    public void listSameMin() throws Exception {
        put(9, 1, 15);
        put(9, 1, 5);
        put(9, 1, 10);
        assertThat(list(9, 0)).containsExactly(r(1, 5), r(1, 10), r(1, 15));
    }

    @Test
    @DisplayName("[list.order.unsigned] TXIDs with bit 63 set sort after smaller ones (unsigned order)")
    public void listUnsigned() throws Exception {
        long big = 0x8000000000000001L;
        put(1, big, big);
        put(1, 0x7fffffffffffffffL, 0x7fffffffffffffffL);
        put(1, 3, 4);
        assertThat(list(1, 0)).containsExactly(r(3, 4), r(0x7fffffffffffffffL, 0x7fffffffffffffffL), r(big, big));
        assertThat(list(1, 0x8000000000000000L)).containsExactly(r(big, big));
    }

    @Test
    @DisplayName("[list.seek.exact] seeking to a file's min TXID returns it and everything after")
    public void seekExact() throws Exception {
        for (long t = 1; t <= 5; t++) {
            put(0, t * 10, t * 10 + 5);
        }
        assertThat(list(0, 30)).containsExactly(r(30, 35), r(40, 45), r(50, 55));
        assertThat(list(0, 10)).hasSize(5);
        assertThat(list(0, 0)).hasSize(5);
    }

    @Test
    @DisplayName("[list.seek.gap] seeking into a gap returns the next file on, never a prefix or exact match only")
    public void seekIntoGap() throws Exception {
        put(0, 0x10, 0x10);
        put(0, 0x20, 0x20);
        put(0, 0x21, 0x2f);
        assertThat(list(0, 0x11)).containsExactly(r(0x20, 0x20), r(0x21, 0x2f));
        // 0x2 is a string prefix of 0x20/0x21; a prefix-match implementation lists them, a correct one too, but
        // seek 0x12 must not return 0x10 (smaller), which a "starts after" bug with inclusive prefix would.
        assertThat(list(0, 0x12)).containsExactly(r(0x20, 0x20), r(0x21, 0x2f));
        assertThat(list(0, 0x21)).containsExactly(r(0x21, 0x2f));
    }

    @Test
    @DisplayName("[list.seek.past-end] seeking past the last file returns nothing")
    public void seekPastEnd() throws Exception {
        put(0, 1, 1);
        put(0, 2, 5);
        assertThat(list(0, 3)).isEmpty();
        assertThat(list(0, 0x7fffffffffffffffL)).isEmpty();
        assertThat(list(0, -1L)).as("seek 2^64-1").isEmpty();
    }

    @Test
    @DisplayName("[list.level-isolation] levels 0, 1 and 9 never see each other's files")
    public void levelIsolation() throws Exception {
        put(0, 1, 1);
        put(1, 1, 2);
        put(9, 1, 3);
        assertThat(list(0, 0)).containsExactly(r(1, 1));
        assertThat(list(1, 0)).containsExactly(r(1, 2));
        assertThat(list(9, 0)).containsExactly(r(1, 3));
        for (int level : new int[] {2, 3, 8}) {
            assertThat(list(level, 0)).isEmpty();
        }
        assertThat(client.listFiles(1, 0, false)).allSatisfy(f -> assertThat(f.level()).isEqualTo(1));
        assertThatThrownBy(() -> read(client, 0, 1, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
    }

    @Test
    @DisplayName("[list.prefix-isolation] replicas at db and db2 never see each other's files")
    public void prefixIsolationList() throws Exception {
        assumeThat(capabilities().prefixIsolation()).as("backend supports sibling prefixes").isTrue();
        ReplicaClient sibling = open(prefix + "/db2");
        put(0, 1, 1);
        sibling.createFile(0, 2, 2, LtxBody.of(LtxTestFiles.body(2, 2)));
        assertThat(list(0, 0)).containsExactly(r(1, 1));
        assertThat(ranges(sibling.listFiles(0, 0, false))).containsExactly(r(2, 2));
        assertThatThrownBy(() -> read(sibling, 0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
    }

    @Test
    @DisplayName("[delete-all.prefix-isolation] deleteAll at db leaves the replica at db2 intact")
    public void prefixIsolationDeleteAll() throws Exception {
        assumeThat(capabilities().prefixIsolation()).as("backend supports sibling prefixes").isTrue();
        ReplicaClient sibling = open(prefix + "/db2");
        put(0, 1, 1);
        put(9, 1, 1);
        byte[] theirs = LtxTestFiles.body(1, 1, TS, 500, seed);
        sibling.createFile(0, 1, 1, LtxBody.of(theirs));
        client.deleteAll();
        assertThat(list(0, 0)).isEmpty();
        assertThat(list(9, 0)).isEmpty();
        assertThat(ranges(sibling.listFiles(0, 0, false))).containsExactly(r(1, 1));
        assertThat(read(sibling, 0, 1, 1, 0, 0)).isEqualTo(theirs);
    }

    @Test
    @DisplayName("[list.junk-ignored] names that are not %016x-%016x.ltx, nested and non-LTX objects are skipped")
    public void junkIgnored() throws Exception {
        Optional<RawStore> raw = rawStore(prefix + "/db");
        assumeThat(raw).as("backend offers raw access").isPresent();
        put(0, 1, 1);
        byte[] junk = {1, 2, 3};
        raw.get().putInLevel(0, "0000000000000002-0000000000000002.ltx.tmp", junk);
        raw.get().putInLevel(0, "000000000000000A-000000000000000A.ltx", junk);
        raw.get().putInLevel(0, "0000000000000003-0000000000000003.LTX", junk);
        raw.get().putInLevel(0, "000000000000004-0000000000000004.ltx", junk);
        raw.get().putInLevel(0, "x0000000000000005-0000000000000005.ltx", junk);
        raw.get().putInLevel(0, "lock.json", junk);
        raw.get().putInLevel(0, "empty", new byte[0]);
        raw.get().putInLevel(0, "sub/0000000000000006-0000000000000006.ltx", junk);
        raw.get().putAtRoot("lock.json", "{}".getBytes(StandardCharsets.UTF_8));
        raw.get().putAtRoot("generations/0000000000000001/snapshots/00000000.snapshot.lz4", junk);
        raw.get().putAtRoot("ltx/0000000000000007-0000000000000007.ltx", junk);
        assertThat(list(0, 0)).containsExactly(r(1, 1));
        for (int level = 1; level <= ReplicaClient.MAX_LEVEL; level++) {
            assertThat(list(level, 0)).as("level %d", level).isEmpty();
        }
    }

    @Test
    @DisplayName("[list.pagination] many files list completely, in order, without duplicates, with and without metadata")
    public void pagination() throws Exception {
        int n = capabilities().paginationFileCount();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LtxFileInfo>> writes = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                long t = i;
                writes.add(pool.submit(() -> client.createFile(2, t, t, LtxBody.of(LtxTestFiles.body(t, t, TS + t, 120, t)))));
            }
            for (Future<LtxFileInfo> f : writes) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (boolean meta : new boolean[] {false, true}) {
            List<LtxFileInfo> files = client.listFiles(2, 0, meta);
            assertThat(files).hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(files.get(i).minTxid()).as("position %d (metadata=%s)", i, meta).isEqualTo(i + 1L);
                assertThat(files.get(i).size()).isEqualTo(120);
            }
        }
        assertThat(client.listFiles(2, n - 9, false)).hasSize(10);
    }

    @Test
    @DisplayName("[list.fileinfo] listed level, TXIDs and size equal what was written")
    public void listedFileInfo() throws Exception {
        byte[] body = LtxTestFiles.body(5, 7, TS, 1234, seed);
        client.createFile(3, 5, 7, LtxBody.of(body));
        List<LtxFileInfo> files = client.listFiles(3, 0, true);
        assertThat(files).hasSize(1);
        LtxFileInfo f = files.get(0);
        assertThat(f.level()).isEqualTo(3);
        assertThat(f.minTxid()).isEqualTo(5);
        assertThat(f.maxTxid()).isEqualTo(7);
        assertThat(f.size()).isEqualTo(1234);
        assertThat(f.createdAt()).isNotNull();
    }

    // ---------------------------------------------------------------- timestamps

    private void assertTimestampRoundTrip(long millis, long txid) throws Exception {
        LtxFileInfo created = client.createFile(0, txid, txid, LtxBody.of(LtxTestFiles.body(txid, txid, millis, 200, seed)));
        assertThat(created.createdAt()).as("createFile returns the header timestamp").isEqualTo(Instant.ofEpochMilli(millis));
        Duration precision = capabilities().timestampPrecision();
        LtxFileInfo listed = client.listFiles(0, txid, true).get(0);
        assertThat(Duration.between(Instant.ofEpochMilli(millis), listed.createdAt()).abs())
                .as("listFiles(useMetadata=true) createdAt %s vs header %s", listed.createdAt(), Instant.ofEpochMilli(millis))
                .isLessThanOrEqualTo(precision);
        if (capabilities().timestampsWithoutMetadata()) {
            LtxFileInfo cheap = client.listFiles(0, txid, false).get(0);
            assertThat(Duration.between(Instant.ofEpochMilli(millis), cheap.createdAt()).abs())
                    .as("listFiles(useMetadata=false) createdAt").isLessThanOrEqualTo(precision);
        }
    }

    @Test
    @DisplayName("[timestamp.round-trip] the header timestamp comes back as createdAt (an hour ago, millisecond precision)")
    public void timestampRoundTrip() throws Exception {
        assertTimestampRoundTrip(Instant.now().minus(Duration.ofHours(1)).toEpochMilli(), 1);
        assertTimestampRoundTrip(TS, 2);
    }

    @Test
    @DisplayName("[timestamp.zero] a header timestamp of 0 (1970-01-01) round trips")
    public void timestampZero() throws Exception {
        assertTimestampRoundTrip(0, 1);
    }

    @Test
    @DisplayName("[timestamp.whole-second] a timestamp with ms = 0 round trips (no fraction in metadata)")
    public void timestampWholeSecond() throws Exception {
        assertTimestampRoundTrip(1_700_000_005_000L, 1);
    }

    @Test
    @DisplayName("[timestamp.far-future] a timestamp in the year 2200 round trips")
    public void timestampFarFuture() throws Exception {
        assertTimestampRoundTrip(7_258_118_400_123L, 1);
    }

    // ---------------------------------------------------------------- ranged reads

    private byte[] putSized(int size) throws ReplicaException {
        byte[] body = bytes(size);
        client.createFile(0, 1, 2, LtxBody.of(body));
        return body;
    }

    @Test
    @DisplayName("[read.full] offset 0, length 0 returns the whole file byte for byte")
    public void readFull() throws Exception {
        byte[] body = putSized(4096 + 17);
        assertThat(read(client, 0, 1, 2, 0, 0)).isEqualTo(body);
    }

    @Test
    @DisplayName("[read.prefix] (0, 100) returns the header")
    public void readPrefix() throws Exception {
        byte[] body = putSized(1000);
        assertThat(read(client, 0, 1, 2, 0, 100)).isEqualTo(Arrays.copyOf(body, 100));
    }

    @Test
    @DisplayName("[read.suffix] (offset, 0) returns everything from offset")
    public void readSuffix() throws Exception {
        byte[] body = putSized(1000);
        assertThat(read(client, 0, 1, 2, 600, 0)).isEqualTo(Arrays.copyOfRange(body, 600, 1000));
    }

    @Test
    @DisplayName("[read.middle] (offset, length) returns exactly that slice")
    public void readMiddle() throws Exception {
        byte[] body = putSized(1000);
        assertThat(read(client, 0, 1, 2, 123, 456)).isEqualTo(Arrays.copyOfRange(body, 123, 579));
    }

    @Test
    @DisplayName("[read.last-byte] (size-1, 1) and (size-1, 0) return the last byte")
    public void readLastByte() throws Exception {
        byte[] body = putSized(1000);
        assertThat(read(client, 0, 1, 2, 999, 1)).containsExactly(body[999]);
        assertThat(read(client, 0, 1, 2, 999, 0)).containsExactly(body[999]);
    }

    @Test
    @DisplayName("[read.past-eof] a range running past the end is a short read, not an error")
    public void readPastEof() throws Exception {
        byte[] body = putSized(1000);
        assertThat(read(client, 0, 1, 2, 900, 500)).isEqualTo(Arrays.copyOfRange(body, 900, 1000));
        assertThat(read(client, 0, 1, 2, 0, 5000)).isEqualTo(body);
    }

    @Test
    @DisplayName("[read.offset-at-size] offset == size returns an empty stream")
    public void readOffsetAtSize() throws Exception {
        putSized(1000);
        assertThat(read(client, 0, 1, 2, 1000, 0)).isEmpty();
        assertThat(read(client, 0, 1, 2, 1000, 10)).isEmpty();
    }

    @Test
    @DisplayName("[read.offset-beyond-size] offset > size returns an empty stream")
    public void readOffsetBeyondSize() throws Exception {
        putSized(1000);
        assertThat(read(client, 0, 1, 2, 1001, 0)).isEmpty();
        assertThat(read(client, 0, 1, 2, 1 << 30, 10)).isEmpty();
    }

    @Test
    @DisplayName("[read.not-found] a missing file, level or replica is ReplicaNotFoundException")
    public void readNotFound() throws Exception {
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        put(0, 1, 1);
        assertThatThrownBy(() -> client.openFile(0, 1, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        assertThatThrownBy(() -> client.openFile(0, 2, 2, 0, 100)).isInstanceOf(ReplicaNotFoundException.class);
        assertThatThrownBy(() -> client.openFile(5, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
    }

    @Test
    @DisplayName("[args.bad-level] a level outside 0..9 is ReplicaPermanentException from every method; nothing changes")
    public void badLevelIsPermanent() throws Exception {
        LtxFileInfo kept = put(0, 1, 1);
        for (int level : new int[] {-1, ReplicaClient.MAX_LEVEL + 1, Integer.MIN_VALUE}) {
            LtxFileInfo bad = new LtxFileInfo(level, 1, 1, kept.size(), kept.createdAt());
            assertThatThrownBy(() -> client.listFiles(level, 0, false)).as("list L%d", level)
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining(Integer.toString(level));
            assertThatThrownBy(() -> client.openFile(level, 1, 1, 0, 0)).as("open L%d", level)
                    .isInstanceOf(ReplicaPermanentException.class);
            assertThatThrownBy(() -> client.createFile(level, 2, 2, LtxBody.of(LtxTestFiles.body(2, 2))))
                    .as("create L%d", level).isInstanceOf(ReplicaPermanentException.class);
            assertThatThrownBy(() -> client.deleteFiles(List.of(kept, bad))).as("delete L%d", level)
                    .isInstanceOf(ReplicaPermanentException.class);
        }
        assertThat(list(0, 0)).as("the valid file named with a bad one is not deleted").containsExactly(r(1, 1));
        for (int level = 1; level <= ReplicaClient.MAX_LEVEL; level++) {
            assertThat(list(level, 0)).as("level %d", level).isEmpty();
        }
    }

    @Test
    @DisplayName("[args.negative-range] a negative offset or length is ReplicaPermanentException")
    public void negativeRangeIsPermanent() throws Exception {
        put(0, 1, 1);
        for (long[] range : new long[][] {{-1, 0}, {0, -1}, {Long.MIN_VALUE, 10}}) {
            assertThatThrownBy(() -> client.openFile(0, 1, 1, range[0], range[1]))
                    .as("offset %d length %d", range[0], range[1]).isInstanceOf(ReplicaPermanentException.class);
        }
    }

    @Test
    @DisplayName("[read.concurrent] many threads reading one file, whole and ranged, all see the right bytes")
    public void concurrentReaders() throws Exception {
        byte[] body = putSized(256 * 1024);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> reads = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int off = i * 7919;
                int len = i % 2 == 0 ? 0 : 5000;
                reads.add(pool.submit(() -> {
                    byte[] got = read(client, 0, 1, 2, off, len);
                    byte[] want = Arrays.copyOfRange(body, off, len == 0 ? body.length : off + len);
                    return Arrays.equals(got, want);
                }));
            }
            for (Future<Boolean> f : reads) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("[read.early-close] streams closed before their end release their resources")
    public void earlyClose() throws Exception {
        byte[] body = putSized(64 * 1024);
        for (int i = 0; i < 300; i++) {
            try (InputStream in = client.openFile(0, 1, 2, i, 0)) {
                assertThat(in.read()).isEqualTo(body[i] & 0xff);
            }
        }
        // Leaked handles or connections would show up here: on Windows the file cannot be deleted, on HTTP
        // clients the pool is exhausted.
        client.deleteFiles(List.of(new LtxFileInfo(0, 1, 2, 0, Instant.EPOCH)));
        assertThat(list(0, 0)).isEmpty();
        putSized(100);
        assertThat(read(client, 0, 1, 2, 0, 0)).hasSize(100);
    }

    // ---------------------------------------------------------------- writes

    @Test
    @DisplayName("[create.fileinfo] createFile returns level, TXIDs, body size and the header timestamp")
    public void createReturnsInfo() throws Exception {
        byte[] body = LtxTestFiles.body(3, 9, TS, 777, seed);
        LtxFileInfo info = client.createFile(4, 3, 9, LtxBody.of(body));
        assertThat(info.level()).isEqualTo(4);
        assertThat(info.minTxid()).isEqualTo(3);
        assertThat(info.maxTxid()).isEqualTo(9);
        assertThat(info.size()).isEqualTo(777);
        assertThat(info.createdAt()).isEqualTo(Instant.ofEpochMilli(TS));
    }

    @Test
    @DisplayName("[create.round-trip] header-only (100 B), empty-LTX-sized (131 B) and odd-sized bodies read back identically")
    public void createRoundTripSizes() throws Exception {
        int[] sizes = {100, 131, 4095, 4096, 4097};
        for (int i = 0; i < sizes.length; i++) {
            long t = i + 1;
            byte[] body = LtxTestFiles.body(t, t, TS, sizes[i], seed);
            client.createFile(0, t, t, LtxBody.of(body));
            assertThat(read(client, 0, t, t, 0, 0)).as("size %d", sizes[i]).isEqualTo(body);
        }
    }

    @Test
    @DisplayName("[create.large] a large file round trips and reads in ranges")
    public void createLarge() throws Exception {
        int size = capabilities().largeObjectBytes();
        byte[] body = bytes(size);
        LtxFileInfo info = client.createFile(0, 1, 2, LtxBody.of(body));
        assertThat(info.size()).isEqualTo(size);
        assertThat(read(client, 0, 1, 2, 0, 0)).isEqualTo(body);
        int mid = size / 2;
        assertThat(read(client, 0, 1, 2, mid, 4096)).isEqualTo(Arrays.copyOfRange(body, mid, mid + 4096));
        assertThat(client.listFiles(0, 0, false).get(0).size()).isEqualTo(size);
    }

    @Test
    @DisplayName("[create.body-channel] a body that writes itself to a channel in direct buffers (LtxBody.writeTo) is stored byte for byte")
    public void createBodyWritingItsBuffers() throws Exception {
        byte[] body = bytes(300_001); // buffers of 64 KiB: several full ones and a partial last
        LtxFileInfo info = client.createFile(0, 1, 2, ChannelBodies.direct(body, 64 * 1024));
        assertThat(info.size()).isEqualTo(body.length);
        assertThat(read(client, 0, 1, 2, 0, 0)).isEqualTo(body);
        byte[] header = bytes(Ltx.HEADER_SIZE); // a single buffer, header only
        client.createFile(0, 3, 3, ChannelBodies.direct(header, 1 << 20));
        assertThat(read(client, 0, 3, 3, 0, 0)).isEqualTo(header);
    }

    @Test
    @DisplayName("[create.exists] creating an existing name is ReplicaAlreadyExistsException and keeps the content")
    public void createExisting() throws Exception {
        byte[] first = LtxTestFiles.body(1, 1, TS, 300, 1);
        byte[] second = LtxTestFiles.body(1, 1, TS + 5, 400, 2);
        client.createFile(0, 1, 1, LtxBody.of(first));
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(second)))
                .isInstanceOf(ReplicaAlreadyExistsException.class);
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(first)))
                .as("even identical bytes").isInstanceOf(ReplicaAlreadyExistsException.class);
        assertThat(read(client, 0, 1, 1, 0, 0)).isEqualTo(first);
        List<LtxFileInfo> files = client.listFiles(0, 0, true);
        assertThat(files).hasSize(1);
        assertThat(files.get(0).size()).isEqualTo(300);
    }

    @Test
    @DisplayName("[create.race] of N concurrent creators of one name exactly one wins; the stored bytes are the winner's")
    public void createRace() throws Exception {
        int n = capabilities().raceThreads();
        for (int round = 0; round < 3; round++) {
            long txid = round + 1;
            List<byte[]> bodies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                bodies.add(LtxTestFiles.body(txid, txid, TS + i, 2000 + i, seed + i));
            }
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<Integer>> results = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    int me = i;
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            client.createFile(0, txid, txid, LtxBody.of(bodies.get(me)));
                            return me;
                        } catch (ReplicaAlreadyExistsException e) {
                            return -1;
                        }
                    }));
                }
                start.countDown();
                List<Integer> winners = new ArrayList<>();
                for (Future<Integer> f : results) {
                    int w = f.get(60, TimeUnit.SECONDS);
                    if (w >= 0) {
                        winners.add(w);
                    }
                }
                assertThat(winners).as("round %d winners", round).hasSize(1);
                assertThat(read(client, 0, txid, txid, 0, 0)).isEqualTo(bodies.get(winners.get(0)));
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(list(0, 0)).hasSize(3);
    }

    @Test
    @DisplayName("[create.unenforced] where the store ignores the create-if-absent condition, a second create of a name never succeeds or replaces the first; refusals are ReplicaPermanentException or ReplicaAlreadyExistsException")
    public void createUnenforced() throws Exception {
        Optional<ReplicaClient> offered = openClientOnStoreIgnoringConditions(prefix + "/db");
        assumeThat(offered).as("the backend offers a client on a store that ignores its condition").isPresent();
        ReplicaClient ignoring = track(offered.get());
        byte[] first = LtxTestFiles.body(1, 1, TS, 300, 1);
        byte[] second = LtxTestFiles.body(1, 1, TS + 5, 400, 2);
        boolean firstLanded = refusedOrCreated(() -> ignoring.createFile(0, 1, 1, LtxBody.of(first)));
        assertThat(refusedOrCreated(() -> ignoring.createFile(0, 1, 1, LtxBody.of(second))))
                .as("a second create of one name on a store that ignores the condition must be refused").isFalse();
        if (firstLanded) {
            assertThat(read(ignoring, 0, 1, 1, 0, 0)).as("the first file keeps its content").isEqualTo(first);
        } else {
            assertThat(ignoring.listFiles(0, 0, false)).as("a refused create writes no file").isEmpty();
        }
        int n = capabilities().raceThreads();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> racers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] b = LtxTestFiles.body(2, 2, TS + i, 2000 + i, seed + i);
                racers.add(pool.submit(() -> {
                    start.await();
                    return refusedOrCreated(() -> ignoring.createFile(0, 2, 2, LtxBody.of(b)));
                }));
            }
            start.countDown();
            int landed = 0;
            for (Future<Boolean> f : racers) {
                landed += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(landed).as("racing creators of one name that landed").isLessThanOrEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /** True when the create returned, false when it was refused as the clause allows; anything else fails. */
    private static boolean refusedOrCreated(Callable<LtxFileInfo> create) throws Exception {
        try {
            create.call();
            return true;
        } catch (ReplicaPermanentException | ReplicaAlreadyExistsException e) {
            return false;
        }
    }

    @Test
    @DisplayName("[create.parallel-distinct] concurrent creates of distinct names all succeed")
    public void createParallelDistinct() throws Exception {
        int n = 64;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LtxFileInfo>> fs = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                long t = i;
                fs.add(pool.submit(() -> put(0, t, t)));
            }
            for (Future<LtxFileInfo> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(list(0, 0)).hasSize(n);
        for (long t = 1; t <= n; t++) {
            assertThat(read(client, 0, t, t, 0, 0)).isEqualTo(LtxTestFiles.body(t, t));
        }
    }

    @Test
    @DisplayName("[create.reject-short] a body shorter than 100 bytes is ReplicaPermanentException and writes nothing")
    public void rejectShort() throws Exception {
        byte[] full = LtxTestFiles.body(1, 1);
        for (int len : new int[] {0, 1, 99}) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(Arrays.copyOf(full, len))))
                    .isInstanceOf(ReplicaPermanentException.class);
        }
        assertNothingWritten();
    }

    @Test
    @DisplayName("[create.reject-magic] a body without the LTX1 magic is ReplicaPermanentException and writes nothing")
    public void rejectBadMagic() throws Exception {
        byte[] body = LtxTestFiles.body(1, 1);
        body[0] = 'X';
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(body))).isInstanceOf(ReplicaPermanentException.class);
        assertNothingWritten();
    }

    private void assertNothingWritten() throws ReplicaException {
        assertThat(list(0, 0)).isEmpty();
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        put(0, 1, 1); // the name is still free
        assertThat(list(0, 0)).containsExactly(r(1, 1));
    }

    @Test
    @DisplayName("[create.atomic] while a create is in progress the name is neither listed nor readable")
    public void createAtomic() throws Exception {
        byte[] body = bytes(64 * 1024);
        CountDownLatch halfSent = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LtxBody slow = new LtxBody() {
            @Override
            public long length() {
                return body.length;
            }

            @Override
            public InputStream open() {
                return new GatedStream(body, 32 * 1024, halfSent, release);
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<LtxFileInfo> create = pool.submit(() -> client.createFile(0, 1, 2, slow));
            boolean reachedGate = halfSent.await(30, TimeUnit.SECONDS);
            try {
                assertThat(reachedGate).as("the backend streamed the body").isTrue();
                assertThat(list(0, 0)).isEmpty();
                assertThatThrownBy(() -> client.openFile(0, 1, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
            } finally {
                release.countDown();
            }
            create.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(list(0, 0)).containsExactly(r(1, 2));
        assertThat(read(client, 0, 1, 2, 0, 0)).isEqualTo(body);
    }

    @Test
    @DisplayName("[create.failed-body] a body that fails midway (its stream or its writeTo) fails the create and leaves no object behind")
    public void createFailedBody() throws Exception {
        byte[] body = bytes(50_000);
        LtxBody broken = ChannelBodies.failing(body, 20_000, () -> new FailingStream(body, 20_000));
        assertThatThrownBy(() -> client.createFile(0, 1, 2, broken)).isInstanceOf(ReplicaException.class);
        assertThat(list(0, 0)).isEmpty();
        assertThatThrownBy(() -> client.openFile(0, 1, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        client.createFile(0, 1, 2, LtxBody.of(body));
        assertThat(read(client, 0, 1, 2, 0, 0)).isEqualTo(body);
    }

    // ---------------------------------------------------------------- deletes

    @Test
    @DisplayName("[delete.named-only] deleteFiles removes exactly the named files, using only level and TXIDs")
    public void deleteNamedOnly() throws Exception {
        put(0, 1, 2);
        put(0, 3, 4);
        put(0, 5, 6);
        put(1, 1, 2);
        client.deleteFiles(List.of(new LtxFileInfo(0, 1, 2, 999, Instant.EPOCH), new LtxFileInfo(0, 5, 6, 0, null)));
        assertThat(list(0, 0)).containsExactly(r(3, 4));
        assertThat(list(1, 0)).containsExactly(r(1, 2));
        assertThatThrownBy(() -> client.openFile(0, 1, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        assertThatThrownBy(() -> client.openFile(0, 5, 6, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
    }

    @Test
    @DisplayName("[delete.idempotent] deleting missing files, twice, or in an empty replica is not an error")
    public void deleteIdempotent() throws Exception {
        List<LtxFileInfo> missing = List.of(new LtxFileInfo(0, 7, 7, 0, Instant.EPOCH), new LtxFileInfo(9, 1, 7, 0, Instant.EPOCH));
        client.deleteFiles(missing);
        LtxFileInfo f = put(0, 1, 1);
        client.deleteFiles(List.of(f));
        client.deleteFiles(List.of(f));
        assertThat(list(0, 0)).isEmpty();
    }

    @Test
    @DisplayName("[delete.empty] an empty delete is a no-op")
    public void deleteEmpty() throws Exception {
        put(0, 1, 1);
        client.deleteFiles(List.of());
        client.deleteFiles(new HashSet<>());
        assertThat(list(0, 0)).containsExactly(r(1, 1));
    }

    @Test
    @DisplayName("[delete.empty.no-request] an empty delete makes no request: it succeeds where storage is unreachable")
    public void deleteEmptyMakesNoRequest() throws Exception {
        Optional<ReplicaClient> offline = openUnreachableClient(prefix + "/db");
        assumeThat(offline).as("backend offers an unreachable client").isPresent();
        unreachable.add(offline.get());
        ReplicaClient off = offline.get();
        assertThatThrownBy(() -> off.deleteFiles(List.of(new LtxFileInfo(0, 1, 1, 0, Instant.EPOCH))))
                .as("the unreachable client really cannot reach its storage").isInstanceOf(ReplicaException.class);
        off.deleteFiles(List.of());
        off.deleteFiles(new ArrayList<>());
    }

    /**
     * Under sustained throttling a listing, a read, a delete and a delete-all fail transient, and each failure's
     * {@link ReplicaTransientException#backendAttempts()} equals the requests the store saw for that call exactly.
     */
    @Test
    @DisplayName("[errors.throttled.backend-retried] under sustained throttling a listing, a read and deletes fail transient;"
            + " a backend that retried says so with the requests the store saw, so the engine's retries do not nest")
    public void throttledFailureSaysWhetherTheBackendRetried() throws Exception {
        Optional<ThrottledStore> throttled = openThrottledClient(prefix + "/db");
        assumeThat(throttled).as("backend offers a throttled store").isPresent();
        unreachable.add(throttled.get().client());
        ReplicaClient busy = throttled.get().client();
        IntSupplier seen = throttled.get().requests();
        int sent = backendRequests(seen, () -> busy.listFiles(0, 0, false));
        backendRequests(seen, () -> busy.readRange(0, 1, 1, 0, 0));
        backendRequests(seen, () -> busy.deleteFiles(List.of(new LtxFileInfo(0, 1, 1, 0, Instant.EPOCH))));
        backendRequests(seen, busy::deleteAll);
        // The engine's retry policy over it, without its waits: its own attempts plus the backend's are bounded by
        // the policy's count plus one backend call, or two backend calls (the second allowed within the time budget),
        // never the policy's count times the backend's (docs/replica-urls-timeouts.md).
        RetryPolicy policy = RetryPolicy.defaults();
        long[] now = {0};
        RetryingReplicaClient engine = new RetryingReplicaClient(busy, policy, new RetryTimer() {
            @Override
            public long nanoTime() {
                return now[0];
            }

            @Override
            public void sleep(Duration d) {
                now[0] += d.toNanos();
            }
        }, seed);
        int before = seen.getAsInt();
        assertThatThrownBy(() -> engine.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(seen.getAsInt() - before).as("requests of one listing through the engine's retries")
                .isLessThanOrEqualTo(Math.max(policy.maxAttempts() - 1 + sent, 2 * sent));
    }

    /**
     * Runs a call that must fail transient; checks its backend-retry count against the requests; returns them. The
     * count must match the requests the store saw exactly: fewer would let the engine's retries nest, more would end
     * an operation before its budget.
     */
    private static int backendRequests(IntSupplier seen, ThrowingCall call) {
        int before = seen.getAsInt();
        Throwable failure = null;
        try {
            call.run();
        } catch (Throwable t) {
            failure = t;
        }
        int sent = seen.getAsInt() - before;
        assertThat(failure).as("a throttled call fails transient").isInstanceOf(ReplicaTransientException.class);
        ReplicaTransientException e = (ReplicaTransientException) failure;
        assertThat(sent).as("requests the store saw").isPositive();
        assertThat(e.backendAttempts()).as("backendAttempts() against the %d requests the store saw (%s)", sent,
                e.getMessage()).isEqualTo(sent);
        assertThat(e.backendRetried()).isEqualTo(sent > 1);
        return sent;
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    @DisplayName("[delete.gone] after a delete the file is in no listing (with or without metadata, any seek) and every read is ReplicaNotFoundException")
    public void deletedFileIsGone() throws Exception {
        put(0, 1, 4);
        put(0, 5, 5);
        put(9, 1, 4);
        client.deleteFiles(List.of(new LtxFileInfo(0, 1, 4, 0, Instant.EPOCH), new LtxFileInfo(9, 1, 4, 0, Instant.EPOCH)));
        for (boolean meta : new boolean[] {false, true}) {
            assertThat(ranges(client.listFiles(0, 0, meta))).as("L0 metadata=%s", meta).containsExactly(r(5, 5));
            assertThat(ranges(client.listFiles(0, 1, meta))).as("L0 seek 1 metadata=%s", meta).containsExactly(r(5, 5));
            assertThat(client.listFiles(9, 0, meta)).as("L9 metadata=%s", meta).isEmpty();
            assertThat(client.listFiles(9, 1, meta)).as("L9 seek 1 metadata=%s", meta).isEmpty();
        }
        for (int level : new int[] {0, 9}) {
            assertThatThrownBy(() -> client.openFile(level, 1, 4, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
            assertThatThrownBy(() -> client.openFile(level, 1, 4, 0, 100)).isInstanceOf(ReplicaNotFoundException.class);
            assertThatThrownBy(() -> client.openFile(level, 1, 4, 150, 0)).isInstanceOf(ReplicaNotFoundException.class);
            assertThatThrownBy(() -> client.readRange(level, 1, 4, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        }
        assertThat(read(client, 0, 5, 5, 0, 0)).isEqualTo(LtxTestFiles.body(5, 5));
    }

    @Test
    @DisplayName("[delete.multi-level] one call deletes files at several levels, in any order")
    public void deleteAcrossLevels() throws Exception {
        List<LtxFileInfo> doomed = new ArrayList<>();
        for (int level : new int[] {9, 0, 3, 1, 8, 2}) {
            doomed.add(put(level, 1, 10));
            doomed.add(put(level, 11, 20));
        }
        put(0, 21, 21);
        put(9, 1, 20);
        Collections.shuffle(doomed, new Random(seed));
        client.deleteFiles(doomed);
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            List<long[]> expected = level == 0 ? List.of(r(21, 21)) : level == 9 ? List.of(r(1, 20)) : List.of();
            assertThat(list(level, 0)).as("level %d", level).containsExactlyElementsOf(expected);
        }
        for (LtxFileInfo f : doomed) {
            assertThatThrownBy(() -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)).as("%s", f)
                    .isInstanceOf(ReplicaNotFoundException.class);
        }
    }

    @Test
    @DisplayName("[delete.batch-over-limit] one call with more files than S3's 1000-key DeleteObjects limit deletes them all")
    public void deleteLargeBatch() throws Exception {
        int n = capabilities().deleteBatchFileCount();
        List<LtxFileInfo> doomed = createMany(n, level -> level % 3 == 0 ? 1 : 0);
        LtxFileInfo kept = put(2, 1, n);
        Collections.shuffle(doomed, new Random(seed));
        client.deleteFiles(doomed);
        assertThat(client.listFiles(0, 0, false)).as("level 0 after deleting %d files", n).isEmpty();
        assertThat(client.listFiles(1, 0, false)).as("level 1 after deleting %d files", n).isEmpty();
        assertThat(ranges(client.listFiles(2, 0, false))).containsExactly(r(kept.minTxid(), kept.maxTxid()));
        LtxFileInfo last = doomed.get(doomed.size() - 1);
        assertThatThrownBy(() -> client.openFile(last.level(), last.minTxid(), last.maxTxid(), 0, 0))
                .isInstanceOf(ReplicaNotFoundException.class);
    }

    @Test
    @DisplayName("[delete.neighbours] deleting a file leaves its neighbours (same level, same range at other levels, similar names) intact")
    public void deleteLeavesNeighbours() throws Exception {
        long[][] sameLevel = {{0x1, 0xf}, {0x20, 0x2f}, {0x10, 0x10}, {0x10, 0x1f0}, {0x1, 0x1f}, {0x100, 0x1ff}};
        List<LtxFileInfo> neighbours = new ArrayList<>();
        for (long[] range : sameLevel) {
            neighbours.add(client.createFile(0, range[0], range[1], LtxBody.of(LtxTestFiles.body(range[0], range[1], TS, 400, seed))));
        }
        for (int level : new int[] {1, 9}) {
            neighbours.add(client.createFile(level, 0x10, 0x1f, LtxBody.of(LtxTestFiles.body(0x10, 0x1f, TS, 400, seed + level))));
        }
        put(0, 0x10, 0x1f);
        client.deleteFiles(List.of(new LtxFileInfo(0, 0x10, 0x1f, 0, Instant.EPOCH)));
        assertThatThrownBy(() -> client.openFile(0, 0x10, 0x1f, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        assertThat(list(0, 0)).containsExactly(r(0x1, 0xf), r(0x1, 0x1f), r(0x10, 0x10), r(0x10, 0x1f0), r(0x20, 0x2f),
                r(0x100, 0x1ff));
        for (LtxFileInfo f : neighbours) {
            long fileSeed = f.level() == 0 ? seed : seed + f.level();
            assertThat(read(client, f.level(), f.minTxid(), f.maxTxid(), 0, 0)).as("%s", f)
                    .isEqualTo(LtxTestFiles.body(f.minTxid(), f.maxTxid(), TS, 400, fileSeed));
            assertThat(list(f.level(), f.minTxid())).as("%s listed", f).isNotEmpty();
        }
    }

    @Test
    @DisplayName("[delete.concurrent] concurrent deletes of the same files (two retention runs racing) all succeed")
    public void deleteConcurrently() throws Exception {
        List<LtxFileInfo> doomed = createMany(40, level -> 0);
        LtxFileInfo kept = put(1, 1, 40);
        int threads = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> deletes = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                List<LtxFileInfo> mine = new ArrayList<>(doomed);
                Collections.shuffle(mine, new Random(seed + i));
                deletes.add(pool.submit(() -> {
                    start.await();
                    client.deleteFiles(mine);
                    return null;
                }));
            }
            start.countDown();
            for (Future<Void> f : deletes) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(list(0, 0)).isEmpty();
        assertThat(ranges(client.listFiles(1, 0, false))).containsExactly(r(kept.minTxid(), kept.maxTxid()));
    }

    @Test
    @DisplayName("[delete.duplicates] a file named twice in one call is deleted without error")
    public void deleteDuplicates() throws Exception {
        LtxFileInfo f = put(0, 1, 1);
        put(0, 2, 2);
        client.deleteFiles(List.of(f, new LtxFileInfo(0, 1, 1, 0, Instant.EPOCH), f));
        assertThat(list(0, 0)).containsExactly(r(2, 2));
    }

    @Test
    @DisplayName("[delete.recreate] a deleted name is free again: create-if-absent succeeds and reads the new bytes")
    public void recreateAfterDelete() throws Exception {
        byte[] first = LtxTestFiles.body(1, 8, TS, 500, 1);
        byte[] second = LtxTestFiles.body(1, 8, TS + 1, 700, 2);
        client.createFile(1, 1, 8, LtxBody.of(first));
        client.deleteFiles(List.of(new LtxFileInfo(1, 1, 8, 0, Instant.EPOCH)));
        client.createFile(1, 1, 8, LtxBody.of(second));
        assertThat(read(client, 1, 1, 8, 0, 0)).isEqualTo(second);
        assertThat(client.listFiles(1, 0, true)).singleElement().satisfies(f -> assertThat(f.size()).isEqualTo(700));
        assertThatThrownBy(() -> client.createFile(1, 1, 8, LtxBody.of(first))).isInstanceOf(ReplicaAlreadyExistsException.class);
    }

    /** Creates {@code n} one-TXID files 1..n in parallel, file t at level {@code levelOf(t)}. */
    private List<LtxFileInfo> createMany(int n, IntUnaryOperator levelOf) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<LtxFileInfo>> writes = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                long t = i;
                int level = levelOf.applyAsInt(i);
                writes.add(pool.submit(() -> client.createFile(level, t, t, LtxBody.of(LtxTestFiles.body(t, t, TS, 120, t)))));
            }
            List<LtxFileInfo> created = new ArrayList<>();
            for (Future<LtxFileInfo> f : writes) {
                created.add(f.get());
            }
            return created;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("[delete-all.everything] deleteAll removes every level; it is idempotent and the replica is reusable")
    public void deleteAllEverything() throws Exception {
        for (int level = 0; level <= 9; level++) {
            put(level, 1, 1);
        }
        client.deleteAll();
        for (int level = 0; level <= 9; level++) {
            assertThat(list(level, 0)).as("level %d", level).isEmpty();
        }
        client.deleteAll();
        put(0, 1, 1);
        assertThat(list(0, 0)).containsExactly(r(1, 1));
    }

    @Test
    @DisplayName("[delete-all.many] deleteAll removes more files than one listing page holds, at every level")
    public void deleteAllMany() throws Exception {
        int n = capabilities().deleteBatchFileCount();
        createMany(n, t -> t % 10 == 0 ? 5 : 0); // most at level 0: more than a 1000-key page in one level
        put(9, 1, n);
        client.deleteAll();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            assertThat(client.listFiles(level, 0, false)).as("level %d", level).isEmpty();
        }
    }

    @Test
    @DisplayName("[delete-all.empty] deleteAll on a replica that was never written succeeds")
    public void deleteAllEmpty() throws Exception {
        client.deleteAll();
        assertThat(list(0, 0)).isEmpty();
    }

    // ---------------------------------------------------------------- consistency

    @Test
    @DisplayName("[consistency.read-list-after-write-delete] each write is readable and listed at once; each delete unlisted at once")
    public void readAndListAfterWriteAndDelete() throws Exception {
        for (long i = 1; i <= 50; i++) {
            long t = i;
            byte[] body = LtxTestFiles.body(t, t, TS, 150 + (int) t, seed);
            client.createFile(0, t, t, LtxBody.of(body));
            assertThat(read(client, 0, t, t, 0, 0)).isEqualTo(body);
            assertThat(client.listFiles(0, t, false)).hasSize(1);
            if (t % 2 == 0) {
                client.deleteFiles(List.of(new LtxFileInfo(0, t, t, 0, Instant.EPOCH)));
                assertThat(client.listFiles(0, t, false)).isEmpty();
                assertThatThrownBy(() -> client.openFile(0, t, t, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
            }
        }
        assertThat(list(0, 0)).hasSize(25);
    }

    @Test
    @DisplayName("[concurrency.list-while-writing] listings taken during concurrent creates are sorted and contain only whole files")
    public void listWhileWriting() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writer = pool.submit((Callable<Void>) () -> {
                for (long t = 1; t <= 100; t++) {
                    client.createFile(0, t, t, LtxBody.of(LtxTestFiles.body(t, t, TS, 3000, t)));
                }
                done.set(true);
                return null;
            });
            while (!done.get()) {
                List<LtxFileInfo> files = client.listFiles(0, 0, false);
                for (int i = 0; i < files.size(); i++) {
                    assertThat(files.get(i).size()).as("listed size").isEqualTo(3000);
                    if (i > 0) {
                        assertThat(Long.compareUnsigned(files.get(i - 1).minTxid(), files.get(i).minTxid())).isNegative();
                    }
                }
                if (writer.isDone()) {
                    break;
                }
            }
            writer.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(list(0, 0)).hasSize(100);
    }

    /** Yields {@code data}, pausing after {@code gateAt} bytes until released. */
    private static final class GatedStream extends InputStream {
        private final byte[] data;
        private final int gateAt;
        private final CountDownLatch reached;
        private final CountDownLatch release;
        private int pos;

        GatedStream(byte[] data, int gateAt, CountDownLatch reached, CountDownLatch release) {
            this.data = data;
            this.gateAt = gateAt;
            this.reached = reached;
            this.release = release;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= data.length) {
                return -1;
            }
            if (pos == gateAt) {
                reached.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("test gate never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the test gate", e);
                }
            }
            int limit = pos < gateAt ? gateAt : data.length;
            int n = Math.min(len, limit - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** Yields the first {@code failAt} bytes of {@code data}, then fails. */
    private static final class FailingStream extends InputStream {
        private final byte[] data;
        private final int failAt;
        private int pos;

        FailingStream(byte[] data, int failAt) {
            this.data = data;
            this.failAt = failAt;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= failAt) {
                throw new IOException("simulated failure of the body stream at byte " + pos);
            }
            int n = Math.min(len, failAt - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
