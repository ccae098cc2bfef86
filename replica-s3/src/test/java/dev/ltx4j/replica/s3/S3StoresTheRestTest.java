package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.s3.StoreInTheMiddle.Request;
import dev.ltx4j.replica.s3.StoreInTheMiddle.Response;
import java.io.RandomAccessFile;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkGlobalTime;

/**
 * Field probes, round 7 (docs/field-probes.md, "Round 7: stores, the rest"): what round 6 left of the stores users
 * bring. S3Proxy behind {@link StoreInTheMiddle}, the real client and SDK: a store whose clock is off (with and
 * without a {@code Date} header that shows it), and the other probes of the round.
 */
class S3StoresTheRestTest {
    private static final String SECRET = "rest-secret-v4lue";
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("AWS_ACCESS_KEY_ID", "rest-key", "AWS_SECRET_ACCESS_KEY", SECRET));
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static StoreInTheMiddle store;
    private static final AtomicInteger paths = new AtomicInteger();
    private String path;

    @BeforeAll
    static void start() throws Exception {
        store = new StoreInTheMiddle();
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
    }

    @BeforeEach
    void honestStore() {
        store.answer = r -> null;
        store.request = r -> r;
        store.response = (q, r) -> r;
        store.forget();
        path = "rest-" + paths.incrementAndGet() + "/db";
    }

    /** The SDK keeps a corrected clock offset for the whole JVM (SdkGlobalTime): later tests must not inherit it. */
    @AfterEach
    void forgetTheCorrection() {
        SdkGlobalTime.setGlobalTimeOffset(0);
    }

    S3ReplicaClient open(String extra) throws ReplicaException {
        String url = "s3://" + StoreInTheMiddle.BUCKET + "/" + path + "?endpoint=" + store.uri() + extra;
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), ENV), ENV);
    }

    static LtxBody body(long txid, int seed, int size) {
        return LtxBody.of(LtxTestFiles.body(txid, txid, 1_700_000_000_000L, size, seed));
    }

    static void assertNoSecret(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET).doesNotContain("rest-key");
        }
    }

    // ------------------------------------------------------------------ a store whose clock is off

    /**
     * A store whose clock runs {@code offset} ahead of this machine's, refusing requests signed more than 15 minutes
     * from its own time as S3 does (its error names both times). Its {@code Date} header shows this machine's time (a
     * proxy in front of it stamps its own: nginx before a MinIO with a wrong clock) unless a {@link DateStampingFront}
     * stamps the store's.
     */
    static Response skewedStore(Request r, Duration offset) {
        Instant storeNow = Instant.now().plus(offset);
        String signed = r.header("x-amz-date");
        if (signed == null) {
            return null;
        }
        Instant requestTime = Instant.from(AMZ_DATE.parse(signed));
        if (Duration.between(requestTime, storeNow).abs().compareTo(Duration.ofMinutes(15)) <= 0) {
            return null; // the store takes it
        }
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The"
                + " difference between the request time and the current time is too large.</Message><RequestTime>"
                + signed + "</RequestTime><ServerTime>" + storeNow.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                + "</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds><RequestId>probe"
                + "</RequestId></Error>";
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/xml"));
        return new Response(403, headers, xml.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The store's clock is 20 minutes ahead and a proxy's Date header does not show it: the SDK cannot correct the
     * skew, yet retried a listing 10 times (about 17 s) before the message. Now one request each for a listing, a
     * read and a create, and the message names the skew from the store's error.
     */
    @Test
    void aSkewTheStoresDateDoesNotShowFailsAfterOneRequestNamingIt() throws Exception {
        store.answer = r -> skewedStore(r, Duration.ofMinutes(20));
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("RequestTimeTooSkewed")
                    .hasMessageContaining("this machine's clock is 20 min")
                    .hasMessageContaining("behind the store's")
                    .hasMessageContaining("fix the clock")
                    .satisfies(S3StoresTheRestTest::assertNoSecret);
            assertThat(client.storeRequests().orElseThrow().total()).as("requests of the listing").isEqualTo(1);
            assertThatThrownBy(() -> client.readRange(0, 1, 1, 0, 0)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("RequestTimeTooSkewed");
            assertThat(client.storeRequests().orElseThrow().total()).as("requests of listing and read").isEqualTo(2);
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("20 min");
            assertThat(client.storeRequests().orElseThrow().total()).as("requests of listing, read, create")
                    .isEqualTo(3);
        }
    }

    /**
     * The store's Date header shows the skew: the SDK moves the client's clock and one retry lands, for reads (as
     * before) and now for creates too (a refused conditional PUT was not applied, so its replay is safe; before, the
     * first create of each client failed permanently though the next would have landed).
     */
    @Test
    void aSkewTheStoresDateShowsIsCorrectedWithOneRetryForReadsAndCreates() throws Exception {
        Duration offset = Duration.ofMinutes(-40);
        store.answer = r -> skewedStore(r, offset);
        try (DateStampingFront front = new DateStampingFront(store.uri(), offset);
                S3ReplicaClient client = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://"
                        + StoreInTheMiddle.BUCKET + "/" + path + "?endpoint=" + front.uri()), ENV), ENV)) {
            client.createFile(0, 1, 1, body(1, 1, 200));
            assertThat(client.listFiles(0, 0, false)).hasSize(1);
            assertThat(client.readRange(0, 1, 1, 0, 0)).isEqualTo(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 200, 1));
            // each SDK client (conditional creates, the rest) is refused once, then signs with the store's time
            assertThat(store.seen().stream().filter(r -> skewedStore(r, offset) != null).count())
                    .as("refused requests").isEqualTo(2);
        }
    }

    /**
     * A client built while the JVM-wide offset was stale (an earlier store's Date corrected it, SdkGlobalTime) signs
     * 40 minutes off; the store's clock is right. The skew retry compared the store's Date with this machine's clock
     * (equal) and was withheld: the listing failed permanently, blaming this machine's clock. It now compares it with
     * the time the request was signed at, and the one retry (signed with the SDK's correction) lands.
     */
    @Test
    void aClientWithAStaleJvmWideOffsetIsCorrectedByAStoreWhoseClockIsRight() throws Exception {
        store.answer = r -> skewedStore(r, Duration.ZERO);
        SdkGlobalTime.setGlobalTimeOffset(-2400);
        try (S3ReplicaClient client = open("")) {
            assertThat(client.listFiles(0, 0, false)).isEmpty();
            assertThat(client.storeRequests().orElseThrow().total()).as("refused once, then the retry").isEqualTo(2);
        }
    }

    /**
     * A client that signs 40 minutes off this machine's clock (a stale JVM-wide offset) and a store whose Date agrees
     * with that signing time but whose clock checks signatures 20 minutes later: no retry helps; the message names
     * the request's signing time, not this machine's clock, which is not what was off by 20 minutes.
     */
    @Test
    void aRefusalOfARequestSignedOffTheClockNamesTheSigningTime() throws Exception {
        store.answer = r -> skewedStore(r, Duration.ofMinutes(60));
        SdkGlobalTime.setGlobalTimeOffset(-2400);
        try (DateStampingFront front = new DateStampingFront(store.uri(), Duration.ofMinutes(40));
                S3ReplicaClient client = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://"
                        + StoreInTheMiddle.BUCKET + "/" + path + "?endpoint=" + front.uri()), ENV), ENV)) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("the request's signing time (this machine's clock moved by the offset")
                    .hasMessageContaining("(the request's signing time is 20 min")
                    .hasMessageNotContaining("this machine's clock differs");
            assertThat(client.storeRequests().orElseThrow().total()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------ files above 5 GiB

    /** An LTX file of {@code length} bytes on disk that takes a few KiB: a real header, then a hole (sparse). */
    static LtxBody sparse(Path dir, long txid, long length) throws Exception {
        Path file = dir.resolve("big-" + txid + ".ltx");
        Files.write(file, LtxTestFiles.body(txid, txid, 1_700_000_000_000L, 200, 1));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        }
        return LtxBody.of(file);
    }

    /**
     * A store that ignores the condition on multipart completion gets large files as single PUTs, which S3 limits to
     * 5 GiB; a larger one is refused before any of it is sent, naming the store, the file, its size, the limit and the
     * ways out. This refusal had no test (round 6). The file is sparse: no 5 GiB of disk or memory.
     */
    @Test
    void aFileAbove5GiBForAStoreWithoutConditionalMultipartIsRefusedBeforeSending(@TempDir Path tmp)
            throws Exception {
        store.request = r -> r.method().equals("POST") && r.query() != null && r.query().contains("uploadId=")
                ? r.without("if-none-match") : r;
        long size = S3ReplicaClient.MAX_SINGLE_PUT + 1;
        String key = path + "/0000/0000000000000001-0000000000000001.ltx";
        try (S3ReplicaClient client = open("&part-size=5242880")) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, sparse(tmp, 1, size)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining(store.uri().toString())
                    .hasMessageContaining("ignores If-None-Match: * on CompleteMultipartUpload")
                    .hasMessageContaining("5 GiB")
                    .hasMessageContaining("'" + key + "' is " + size + " bytes and was not sent")
                    .hasMessageContaining("single-writer=true")
                    .satisfies(S3StoresTheRestTest::assertNoSecret);
            assertThat(store.seen()).as("nothing of the file was sent")
                    .noneMatch(r -> r.path().endsWith(key));
        }
    }

    /**
     * A part-size above 5 GiB (the URL takes any) sent a file between 5 GiB and part-size as one PUT, which S3
     * refuses (400 EntityTooLarge) after the client has streamed it; such a file can never land. It now goes up as
     * a multipart upload. The store here refuses that upload's start, so no 5 GiB travel in the test.
     */
    @Test
    void aFileAbove5GiBGoesMultipartWhateverThePartSize(@TempDir Path tmp) throws Exception {
        long size = S3ReplicaClient.MAX_SINGLE_PUT + 1;
        String key = path + "/0000/0000000000000001-0000000000000001.ltx";
        store.answer = r -> r.method().equals("POST") && r.path().endsWith(key) && "uploads".equals(r.query())
                ? Response.error(403, "AccessDenied") : null;
        try (S3ReplicaClient client = open("&part-size=" + (8L << 30))) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, sparse(tmp, 1, size)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("start multipart upload of '" + key + "'")
                    .hasMessageNotContaining("EntityTooLarge")
                    // the store's own refusal (AccessDenied): a close stops at once
                    .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isFalse());
            assertThat(store.seen()).as("no single PUT of the file")
                    .noneMatch(r -> r.method().equals("PUT") && r.path().endsWith(key));
        }
    }

    /**
     * S3 takes at most 10,000 parts per upload: with the default 5 MiB parts a file above 48.8 GiB (the snapshot of a
     * database that large) went up part by part until S3 refused part 10,001, after 48.8 GiB had travelled. The part
     * size now grows with the file so it fits in 10,000 parts. The file is sparse, and the store refuses the first
     * part (after reading it), so only one part travels.
     */
    @Test
    void aFileAboveTenThousandPartsGoesUpInLargerParts(@TempDir Path tmp) throws Exception {
        long size = S3MultipartUpload.MAX_PARTS * S3ReplicaConfig.MIN_PART_SIZE + 1;
        String key = path + "/0000/0000000000000001-0000000000000001.ltx";
        store.answer = r -> r.method().equals("PUT") && r.path().endsWith(key) && r.query() != null
                && r.query().contains("partNumber=") ? Response.error(403, "AccessDenied") : null;
        try (S3ReplicaClient client = open("&part-size=" + S3ReplicaConfig.MIN_PART_SIZE)) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, sparse(tmp, 1, size)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("upload part 1 of '" + key + "'");
            List<Request> parts = store.seen().stream()
                    .filter(r -> r.method().equals("PUT") && r.path().endsWith(key)).toList();
            assertThat(parts).hasSize(1);
            String decoded = parts.get(0).header("x-amz-decoded-content-length"); // the body may be aws-chunked
            long partBytes = decoded != null ? Long.parseLong(decoded) : parts.get(0).body().length;
            assertThat(partBytes * S3MultipartUpload.MAX_PARTS)
                    .as("10,000 parts of the first part's size hold the file").isGreaterThanOrEqualTo(size);
        }
    }

    @Test
    void thePartSizeStaysAsConfiguredUpToTenThousandParts() {
        long five = S3ReplicaConfig.MIN_PART_SIZE;
        assertThat(S3MultipartUpload.partSize(five, 10_000 * five)).isEqualTo(five);
        assertThat(S3MultipartUpload.partSize(five, 10_000 * five + 1)).isEqualTo(five + (1 << 20));
        assertThat(S3MultipartUpload.partSize(64L << 20, 1L << 40)).isEqualTo(105L << 20); // 1 TiB: 105 MiB parts
        assertThat(S3MultipartUpload.partSize(five, 5L << 40)).isLessThanOrEqualTo(Integer.MAX_VALUE - 8);
        // A part size that is not whole MiB stays as configured while the file fits in 10,000 parts of it.
        assertThat(S3MultipartUpload.partSize(6_000_000, 60_000_000_000L)).isEqualTo(6_000_000);
        assertThat(S3MultipartUpload.partSize(6_000_000, 60_000_000_001L)).isEqualTo(6L << 20);
    }

    /**
     * S3 stores objects of at most 5 TiB; a larger file went up part by part until S3 refused it (above ~19.5 TiB at
     * part 10,001). It is now refused before anything is sent, naming the file and the limit. The file is sparse.
     */
    @Test
    void aFileAboveFiveTiBIsRefusedBeforeSending(@TempDir Path tmp) throws Exception {
        long size = S3MultipartUpload.MAX_OBJECT + 1;
        String key = path + "/0000/0000000000000001-0000000000000001.ltx";
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, sparse(tmp, 1, size)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("'" + key + "' is " + size + " bytes")
                    .hasMessageContaining("5 TiB")
                    .hasMessageContaining("not sent");
            assertThat(store.seen()).as("nothing was sent").isEmpty();
        }
    }

    /**
     * A part was read with one {@code readNBytes} call into the part array; a file's stream reads that through a
     * temporary direct buffer as large as the call, which the JDK keeps cached for the thread: a 105 MiB part left
     * 110 MB of direct memory pinned, and a 300 MiB part failed under {@code -XX:MaxDirectMemorySize=256m}. Parts are
     * now read in slices of at most 1 MiB. Here one 16 MiB part is read (the store refuses it after reading).
     */
    @Test
    void aPartIsReadWithoutAPartSizedDirectBuffer(@TempDir Path tmp) throws Exception {
        long part = 16L << 20;
        String key = path + "/0000/0000000000000001-0000000000000001.ltx";
        store.answer = r -> r.method().equals("PUT") && r.path().endsWith(key) && r.query() != null
                && r.query().contains("partNumber=") ? Response.error(403, "AccessDenied") : null;
        LtxBody file = sparse(tmp, 1, 2 * part);
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        try (S3ReplicaClient client = open("&part-size=" + part)) {
            long before = direct.getMemoryUsed();
            assertThatThrownBy(() -> client.createFile(0, 1, 1, file))
                    .hasMessageContaining("upload part 1 of '" + key + "'");
            assertThat(direct.getMemoryUsed() - before).as("direct memory kept after reading a 16 MiB part")
                    .isLessThan(part / 2);
        }
    }

    // ------------------------------------------------------------------ answers that are not the store's

    /** An HTML error page, as nginx or a load balancer in front of the store sends it. */
    static Response page(int status, String reason) {
        String html = "<html>\r\n<head><title>" + status + " " + reason + "</title></head>\r\n<body>\r\n<center><h1>"
                + status + " " + reason + "</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>";
        return new Response(status, Map.of("Content-Type", List.of("text/html"), "Server", List.of("nginx/1.25.3")),
                html.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A proxy in front of the store answers with its own HTML page (no S3 error code): the message said "no message"
     * (and, for a listing's 400, blamed a missing ListObjectsV2), which sent users to the store. It now says the
     * answer was not an S3 error response and names who answered (Server, content type, page title).
     */
    @Test
    void aProxysErrorPageIsNamedAsNotTheStoresAnswer() throws Exception {
        store.answer = r -> r.isListV2() ? page(400, "Bad Request") : page(403, "Forbidden");
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 400")
                    .hasMessageContaining("not an S3 error response: Server 'nginx/1.25.3', text/html, page title"
                            + " '400 Bad Request'")
                    .hasMessageContaining("a proxy, load balancer or gateway")
                    .hasMessageNotContaining("no message")
                    .hasMessageNotContaining("ListObjectsV2");
            assertThatThrownBy(() -> client.readRange(0, 1, 1, 0, 0)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 403")
                    .hasMessageContaining("page title '403 Forbidden'")
                    .satisfies(S3StoresTheRestTest::assertNoSecret);
        }
        // a body that is not a page: nothing but the status and the headers to go on
        store.answer = r -> new Response(400, Map.of(), new byte[0]);
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("(HTTP 400) [not an S3 error response");
        }
    }

    /**
     * S3's errors on a HEAD have no body by protocol, and other bodiless errors of S3 carry its request ids: they
     * were labelled "not an S3 error response ... a proxy may have answered", which sent users to their network.
     */
    @Test
    void bodilessErrorsOfTheStoreItselfAreNotBlamedOnAProxy() throws Exception {
        try (S3ReplicaClient client = open("")) {
            client.createFile(0, 1, 1, body(1, 1, 200));
            store.answer = r -> r.method().equals("HEAD") ? new Response(403, Map.of(), new byte[0]) : null;
            assertThatThrownBy(() -> client.listFiles(0, 0, true)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 403")
                    .hasMessageNotContaining("not an S3 error response");
            store.answer = r -> r.method().equals("GET") && !r.isListV2()
                    ? new Response(400, Map.of("x-amz-request-id", List.of("R1"), "x-amz-id-2", List.of("I2")),
                            new byte[0]) : null;
            assertThatThrownBy(() -> client.readRange(0, 1, 1, 0, 0)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 400")
                    .hasMessageNotContaining("not an S3 error response");
        }
    }

    /**
     * The facts of an earlier attempt's error body stayed for the last one: an HTML 502 page, then a bodiless 400,
     * was named with the page's title "502 Bad Gateway" beside HTTP 400. Each error response now replaces them.
     */
    @Test
    void aLaterBodilessErrorIsNotNamedWithAnEarlierAttemptsPage() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        store.answer = r -> attempts.incrementAndGet() == 1 ? page(502, "Bad Gateway")
                : new Response(400, Map.of(), new byte[0]);
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("(HTTP 400) [not an S3 error response")
                    .hasMessageNotContaining("502");
            assertThat(attempts.get()).as("the 502 was retried").isEqualTo(2);
        }
    }

    /**
     * A bucket in another region behind a custom endpoint: S3 answers 301 PermanentRedirect with the bucket's region
     * in {@code x-amz-bucket-region} (and its endpoint in the body), or 400 AuthorizationHeaderMalformed naming it in
     * the body. The message said only "set ?region="; it now names the region to set.
     */
    @Test
    void aBucketInAnotherRegionIsNamedWithTheRegionToSet() throws Exception {
        String redirect = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The"
                + " bucket you are attempting to access must be addressed using the specified endpoint.</Message>"
                + "<Endpoint>foreign.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>foreign</Bucket><RequestId>R"
                + "</RequestId></Error>";
        store.answer = r -> new Response(301, Map.of("Content-Type", List.of("application/xml"),
                "x-amz-bucket-region", List.of("eu-west-1")), redirect.getBytes(StandardCharsets.UTF_8));
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 301, PermanentRedirect")
                    .hasMessageContaining("the store says the bucket is in region 'eu-west-1' (the client signs for"
                            + " 'us-east-1'): set ?region=eu-west-1")
                    .hasMessageContaining("endpoint 'foreign.s3.eu-west-1.amazonaws.com'");
            assertThat(client.storeRequests().orElseThrow().total()).isEqualTo(1);
        }
        String malformed = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AuthorizationHeaderMalformed"
                + "</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting"
                + " 'ap-southeast-2'</Message><Region>ap-southeast-2</Region><RequestId>R</RequestId></Error>";
        store.answer = r -> new Response(400, Map.of("Content-Type", List.of("application/xml")),
                malformed.getBytes(StandardCharsets.UTF_8));
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("set ?region=ap-southeast-2");
        }
    }
}
