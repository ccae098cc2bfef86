package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.s3.StoreInTheMiddle.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Field probes, round 6 (docs/field-probes.md): S3-compatible stores that are not S3. A real HTTP proxy in front of
 * S3Proxy plays a store that ignores {@code If-None-Match}, lacks conditional writes or ListObjectsV2, answers for
 * another region, refuses the clock, throttles, drops ETags or pages its listings wrongly. Each must end in a typed
 * error naming the store and what to change, or in correct results; none may lose or overwrite a file silently.
 */
class S3ForeignStoresTest {
    private static final String SECRET = "foreign-secret-v4lue";
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("AWS_ACCESS_KEY_ID", "foreign-key", "AWS_SECRET_ACCESS_KEY", SECRET));
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
        path = "probe-" + paths.incrementAndGet() + "/db";
    }

    private S3ReplicaClient open(String extra) throws ReplicaException {
        String url = "s3://" + StoreInTheMiddle.BUCKET + "/" + path + "?endpoint=" + store.uri() + extra;
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), ENV), ENV);
    }

    private static LtxBody body(long txid, int seed, int size) {
        return LtxBody.of(LtxTestFiles.body(txid, txid, 1_700_000_000_000L, size, seed));
    }

    private static void assertNoSecret(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET).doesNotContain("foreign-key");
        }
    }

    // ------------------------------------------------------------------ If-None-Match ignored

    /**
     * A store that drops {@code If-None-Match} (as S3 itself did before August 2024): before the fix both writers'
     * creates of TXID 1 succeeded and the second silently replaced the first. Now the first create of each client is
     * refused after three PUTs of the check object, with nothing of the file sent, and later creates cost nothing.
     */
    @Test
    void aStoreThatIgnoresIfNoneMatchGetsEveryCreateRefused() throws Exception {
        store.request = r -> r.without("if-none-match");
        try (S3ReplicaClient writerA = open(""); S3ReplicaClient writerB = open("")) {
            for (S3ReplicaClient writer : List.of(writerA, writerB)) {
                assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, writer == writerA ? 1 : 2, 300)))
                        .isInstanceOf(ReplicaPermanentException.class)
                        .hasMessageContaining("ignores If-None-Match: *")
                        .hasMessageContaining(store.uri().toString())
                        .hasMessageContaining("bucket 'foreign'")
                        .hasMessageContaining("single-writer=true")
                        .hasMessageContaining("'" + path + "/0000/0000000000000001-0000000000000001.ltx' was not sent")
                        .satisfies(S3ForeignStoresTest::assertNoSecret);
            }
            StoreRequests requests = writerA.storeRequests().orElseThrow();
            assertThat(requests.byKindAndOutcome()).isEqualTo(Map.of("put/ok", 3L));
            assertThatThrownBy(() -> writerA.createFile(0, 2, 2, body(2, 1, 300)))
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("ignores If-None-Match");
            assertThat(requests.total()).as("a refused store is not asked again").isEqualTo(3);
            assertThat(writerA.listFiles(0, 0, false)).as("no LTX file was written").isEmpty();
        }
    }

    /** The opt-out is the user's promise of one writer: no check, the create is one PUT. */
    @Test
    void singleWriterSkipsTheCheck() throws Exception {
        store.request = r -> r.without("if-none-match");
        try (S3ReplicaClient writer = open("&single-writer=true")) {
            writer.createFile(0, 1, 1, body(1, 1, 300));
            assertThat(writer.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of("put/ok", 1L));
            assertThat(writer.listFiles(0, 0, false)).hasSize(1);
        }
    }

    /**
     * What the check costs on a store that honours the condition: two PUTs before a replica's first create ever, one
     * before each later client's first create, none after that; the check object is never listed and deleteAll
     * removes it.
     */
    @Test
    void onAnHonestStoreTheCheckCostsOnePutPerClient() throws Exception {
        try (S3ReplicaClient first = open("")) {
            first.createFile(0, 1, 1, body(1, 1, 300));
            assertThat(first.storeRequests().orElseThrow().byKindAndOutcome())
                    .isEqualTo(Map.of("put/ok", 2L, "put/precondition_failed", 1L));
        }
        try (S3ReplicaClient second = open("")) {
            StoreRequests requests = second.storeRequests().orElseThrow();
            second.createFile(0, 2, 2, body(2, 1, 300));
            assertThat(requests.byKindAndOutcome()).isEqualTo(Map.of("put/ok", 1L, "put/precondition_failed", 1L));
            second.createFile(0, 3, 3, body(3, 1, 300));
            assertThat(requests.byKindAndOutcome()).isEqualTo(Map.of("put/ok", 2L, "put/precondition_failed", 1L));
            assertThat(second.listFiles(0, 0, true)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L, 3L);
            second.deleteAll();
        }
        store.forget();
        try (S3ReplicaClient raw = open("")) {
            assertThat(raw.listFiles(0, 0, false)).isEmpty();
        }
        String check = path + "/ltx4j-create-check";
        try (var sdk = software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(store.uri())
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create()).build()) {
            assertThat(sdk.listObjectsV2(b -> b.bucket(StoreInTheMiddle.BUCKET).prefix(path + "/")).contents())
                    .as("deleteAll removed %s too", check).isEmpty();
        }
    }

    /**
     * Older MinIO answers a conditional PUT 501 NotImplemented: it wrote nothing, so this is not "outcome unknown".
     * Stores answer 501 to other headers too (S3Proxy to the session token's, MinIO without KMS to SSE-KMS): the
     * message keeps the store's own text and names the candidates this request used.
     */
    @Test
    void aConditionalPutAnswered501IsPermanentAndSaysWhy() throws Exception {
        store.answer = r -> r.isConditionalPut() ? Response.error(501, "NotImplemented") : null;
        try (S3ReplicaClient writer = open("&single-writer=true")) {
            assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, 1, 300)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .isNotInstanceOf(ReplicaOutcomeUnknownException.class)
                    .hasMessageContaining("HTTP 501, NotImplemented")
                    .hasMessageContaining("NotImplemented (made up by the probe)")
                    .hasMessageContaining("If-None-Match: *")
                    .hasMessageContaining("x-amz-security-token")
                    .hasMessageNotContaining("storage-class")
                    .hasMessageContaining("nothing was written");
        }
        try (S3ReplicaClient writer = open("&storage-class=GLACIER_IR")) {
            assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, 1, 300)))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("made up by the probe")
                    .hasMessageContaining("the storage class 'GLACIER_IR' (storage-class)")
                    .hasMessageContaining("was not sent")
                    .satisfies(S3ForeignStoresTest::assertNoSecret);
        }
    }

    /** A listing answered 501 (a session token's header the store does not know) is not blamed on ListObjectsV2 alone. */
    @Test
    void aListingAnswered501KeepsTheStoresMessage() throws Exception {
        store.answer = r -> r.isListV2() ? Response.error(501, "NotImplemented") : null;
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 501, NotImplemented").hasMessageContaining("made up by the probe")
                    .hasMessageContaining("list-type=2").hasMessageContaining("x-amz-security-token");
        }
    }

    /**
     * A 409 on a check PUT is no refusal: a store that ignores If-None-Match answers it for other reasons
     * (OperationAborted on concurrent PUTs of one key). Before, that 409 passed the check and creates went ahead on a
     * store that overwrites.
     */
    @Test
    void a409OtherThanAConditionalConflictDoesNotPassTheCheck() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        store.request = r -> r.without("if-none-match");
        store.answer = r -> r.method().equals("PUT") && puts.incrementAndGet() == 2
                ? Response.error(409, "OperationAborted") : null;
        try (S3ReplicaClient writer = open("")) {
            assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, 1, 300)))
                    .isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("OperationAborted")
                    .hasMessageContaining("'" + path + "/0000/0000000000000001-0000000000000001.ltx' was not sent");
            // the retry finds the store ignoring the condition
            assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, 1, 300)))
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("ignores If-None-Match");
            assertThat(writer.listFiles(0, 0, false)).as("no LTX file was written").isEmpty();
        }
    }

    /** 409 ConditionalRequestConflict (another conditional write in flight) decides nothing: the check PUT is retried. */
    @Test
    void aConditionalConflictOnTheCheckIsRetried() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        store.answer = r -> r.method().equals("PUT") && puts.incrementAndGet() == 2
                ? Response.error(409, "ConditionalRequestConflict") : null;
        try (S3ReplicaClient writer = open("")) {
            writer.createFile(0, 1, 1, body(1, 1, 300));
            assertThat(writer.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L);
        }
        store.answer = r -> r.method().equals("PUT") ? Response.error(409, "ConditionalRequestConflict") : null;
        try (S3ReplicaClient writer = open("")) {
            assertThatThrownBy(() -> writer.createFile(0, 2, 2, body(2, 1, 300)))
                    .isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("409 ConditionalRequestConflict");
        }
    }

    /**
     * The check object deleted between the check's two PUTs (deleteAll, a lifecycle rule) makes both answer 200 on an
     * honest store. Before, that refused every create of the client for its lifetime; a third PUT now gets the 412.
     */
    @Test
    void aCheckObjectDeletedBetweenTheTwoPutsDoesNotRefuseCreates() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        // the second PUT lands as if the object had been deleted just before it
        store.request = r -> r.method().equals("PUT") && puts.incrementAndGet() == 2 ? r.without("if-none-match") : r;
        try (S3ReplicaClient writer = open("")) {
            writer.createFile(0, 1, 1, body(1, 1, 300));
            assertThat(writer.storeRequests().orElseThrow().byKindAndOutcome())
                    .isEqualTo(Map.of("put/ok", 3L, "put/precondition_failed", 1L));
            assertThat(writer.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L);
        }
    }

    /**
     * A store that answers a conditional CompleteMultipartUpload 501 did take conditional single PUTs: large files go
     * up as single PUTs. Before, every create of part-size or more failed permanently, naming the check object.
     */
    @Test
    void aMultipartCompletionAnswered501FallsBackToSinglePuts() throws Exception {
        store.answer = r -> r.method().equals("POST") && r.query() != null && r.query().contains("uploadId=")
                ? Response.error(501, "NotImplemented") : null;
        try (S3ReplicaClient writer = open("&part-size=5242880")) {
            writer.createFile(0, 1, 1, body(1, 1, 6 << 20));
            writer.createFile(0, 2, 2, body(2, 1, 6 << 20));
            assertThat(store.seen().stream().filter(r -> r.method().equals("POST") && r.query() != null
                    && r.query().startsWith("uploads")).count()).as("multipart starts: the check, once").isEqualTo(1);
            assertThat(writer.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L);
            assertThat(writer.readRange(0, 2, 2, 0, 0)).isEqualTo(LtxTestFiles.body(2, 2, 1_700_000_000_000L, 6 << 20, 1));
        }
    }

    /**
     * A multipart create carries the condition on its completion: a second large create of one name is refused. The
     * client's first multipart create is preceded by a check of that path too: a start, one part, the refused
     * completion and an abort, once.
     */
    @Test
    void aSecondMultipartCreateOfOneNameIsRefused() throws Exception {
        try (S3ReplicaClient writer = open("&part-size=5242880")) {
            writer.createFile(0, 1, 1, body(1, 1, 6 << 20));
            // the PUT check (200, 412); the multipart check (start, one part, completion 412, abort); the file's start,
            // two parts and completion
            assertThat(writer.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of(
                    "put/ok", 4L, "put/precondition_failed", 1L, "other/ok", 4L, "other/precondition_failed", 1L));
            assertThatThrownBy(() -> writer.createFile(0, 1, 1, body(1, 2, 6 << 20)))
                    .isInstanceOf(dev.ltx4j.replica.ReplicaAlreadyExistsException.class);
            assertThat(writer.readRange(0, 1, 1, 0, 0)).isEqualTo(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 6 << 20, 1));
        }
    }

    /**
     * A store that honours {@code If-None-Match} on PutObject and ignores it on CompleteMultipartUpload: before the
     * fix two large creates of one name both landed (the second replaced the first). Now the client finds out before
     * its first multipart create and sends large files as single PUTs, which the store does check.
     */
    @Test
    void aStoreIgnoringTheConditionOnMultipartCompletionGetsSinglePuts() throws Exception {
        store.request = r -> r.method().equals("POST") && r.query() != null && r.query().contains("uploadId=")
                ? r.without("if-none-match") : r;
        try (S3ReplicaClient writerA = open("&part-size=5242880"); S3ReplicaClient writerB = open("&part-size=5242880")) {
            writerA.createFile(0, 1, 1, body(1, 1, 6 << 20));
            assertThatThrownBy(() -> writerB.createFile(0, 1, 1, body(1, 2, 6 << 20)))
                    .isInstanceOf(dev.ltx4j.replica.ReplicaAlreadyExistsException.class);
            // the PUT check (200, 412), the multipart check (start, one part, a completion that landed), the file's PUT
            assertThat(writerA.storeRequests().orElseThrow().byKindAndOutcome()).isEqualTo(Map.of(
                    "put/ok", 3L, "put/precondition_failed", 1L, "other/ok", 2L));
            assertThat(writerA.readRange(0, 1, 1, 0, 0)).isEqualTo(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 6 << 20, 1));
            assertThat(store.seen().stream().filter(r -> r.method().equals("POST") && r.query() != null
                    && r.query().startsWith("uploads")).count()).as("multipart starts: only the two checks").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ listings

    @Test
    void aStoreWithoutListObjectsV2IsPermanentAndNamesIt() throws Exception {
        store.answer = r -> r.isListV2() ? Response.error(400, "InvalidArgument") : null;
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("HTTP 400, InvalidArgument").hasMessageContaining("ListObjectsV2");
        }
    }

    /**
     * A store that ignores {@code list-type=2} answers in v1's format: a truncated page carries no continuation
     * token. The SDK's paginator ended there quietly, so a level of more than one page was listed short (the newest
     * files missing) with no error.
     */
    @Test
    void aTruncatedPageWithoutAContinuationTokenIsNeverAShortListing() throws Exception {
        try (S3ReplicaClient client = open("&single-writer=true")) {
            for (long t = 1; t <= 3; t++) {
                client.createFile(0, t, t, body(t, 1, 200));
            }
            store.response = (q, r) -> q.isListV2() ? r.withBody(firstOnly(r.text())
                    .replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>")) : r;
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("truncated listing").hasMessageContaining("without a continuation token")
                    .hasMessageContaining("ListObjectsV2");
        }
    }

    /** A continuation token the store repeats made the paginator loop forever (one LIST after another). */
    @Test
    void aRepeatedContinuationTokenEndsTheListing() throws Exception {
        try (S3ReplicaClient client = open("&single-writer=true")) {
            client.createFile(0, 1, 1, body(1, 1, 200));
            store.response = (q, r) -> q.isListV2() ? r.withBody(r.text()
                    .replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>"
                            + "<NextContinuationToken>again</NextContinuationToken>")) : r;
            assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThatThrownBy(() -> client.listFiles(0, 0, false))
                            .isInstanceOf(ReplicaPermanentException.class)
                            .hasMessageContaining("repeated a continuation token"));
        }
    }

    @Test
    void keysOutOfOrderAreListedInOrder() throws Exception {
        try (S3ReplicaClient client = open("&single-writer=true")) {
            for (long t = 1; t <= 5; t++) {
                client.createFile(0, t, t, body(t, 1, 200));
            }
            store.response = (q, r) -> q.isListV2() ? r.withBody(reversed(r.text())) : r;
            assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(client.listFiles(0, 3, true)).extracting(LtxFileInfo::minTxid).containsExactly(3L, 4L, 5L);
        }
    }

    // ------------------------------------------------------------------ regions, clocks, throttling, ETags

    @Test
    void aWrongRegionIsPermanentAndNamesTheSetting() throws Exception {
        for (Response wrong : List.of(Response.error(301, "PermanentRedirect"),
                Response.error(400, "AuthorizationHeaderMalformed"))) {
            store.answer = r -> wrong;
            try (S3ReplicaClient client = open("")) {
                assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                        .hasMessageContaining("region").hasMessageContaining("?region=")
                        .satisfies(S3ForeignStoresTest::assertNoSecret);
                assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                        .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("region");
            }
        }
    }

    /** A skewed clock is a 403 too, but telling the user to check the credentials sent them the wrong way. */
    @Test
    void aSkewedClockIsNamedAsTheClockNotTheCredentials() throws Exception {
        store.answer = r -> Response.error(403, "RequestTimeTooSkewed");
        try (S3ReplicaClient client = open("")) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("RequestTimeTooSkewed").hasMessageContaining("clock")
                    .hasMessageNotContaining("check the credentials")
                    .satisfies(S3ForeignStoresTest::assertNoSecret);
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("clock");
        }
    }

    /** A burst of 503 SlowDown: listings ride it out in the SDK; a create is transient (nothing written), then lands. */
    @Test
    void aSlowDownBurstIsTransientAndLosesNothing() throws Exception {
        AtomicInteger burst = new AtomicInteger(3);
        store.answer = r -> burst.getAndDecrement() > 0 ? Response.error(503, "SlowDown") : null;
        try (S3ReplicaClient client = open("")) {
            assertThat(client.listFiles(0, 0, false)).isEmpty();
            assertThat(client.storeRequests().orElseThrow().byKindAndOutcome())
                    .isEqualTo(Map.of("list/throttled", 3L, "list/ok", 1L));
            burst.set(1);
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                    .isInstanceOf(ReplicaTransientException.class)
                    .isNotInstanceOf(ReplicaOutcomeUnknownException.class);
            burst.set(1);
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1, 200)))
                    .isInstanceOf(ReplicaTransientException.class);
            client.createFile(0, 1, 1, body(1, 1, 200));
            assertThat(client.readRange(0, 1, 1, 0, 0)).isEqualTo(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 200, 1));
        }
    }

    /**
     * A store that sends no ETag: single PUTs and reads do not need one; a multipart create cannot be completed, so
     * large files go up as single PUTs too. Before, every create of part-size or more failed permanently.
     */
    @Test
    void aStoreWithoutETagsStillWritesAndReads() throws Exception {
        store.response = (q, r) -> r.withoutHeader("ETag");
        try (S3ReplicaClient client = open("&part-size=5242880")) {
            client.createFile(0, 1, 1, body(1, 1, 300));
            assertThat(client.readRange(0, 1, 1, 0, 0)).hasSize(300);
            client.createFile(0, 2, 2, body(2, 1, 6 << 20));
            assertThat(client.readRange(0, 2, 2, 0, 0)).isEqualTo(LtxTestFiles.body(2, 2, 1_700_000_000_000L, 6 << 20, 1));
            assertThat(client.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static final Pattern CONTENTS = Pattern.compile("<Contents>.*?</Contents>", Pattern.DOTALL);

    private static String firstOnly(String xml) {
        Matcher m = CONTENTS.matcher(xml);
        StringBuilder out = new StringBuilder();
        boolean first = true;
        while (m.find()) {
            m.appendReplacement(out, first ? Matcher.quoteReplacement(m.group()) : "");
            first = false;
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String reversed(String xml) {
        Matcher m = CONTENTS.matcher(xml);
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(m.group());
        }
        if (parts.isEmpty()) {
            return xml;
        }
        Collections.reverse(parts);
        int start = xml.indexOf("<Contents>");
        int end = xml.lastIndexOf("</Contents>") + "</Contents>".length();
        return xml.substring(0, start) + String.join("", parts) + xml.substring(end);
    }
}
