package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.s3.S3ProxyServer.Endpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 15: the store's bill, counted per HTTP request (S3Proxy in-process): a listing with metadata is one LIST plus
 * one HEAD per file, a lost create-if-absent is a 412, a missing file a 404, a multipart create several requests.
 */
@ExtendWith(S3ProxyServer.class)
class S3StoreRequestsTest {
    private final Endpoint server;

    S3StoreRequestsTest(Endpoint server) {
        this.server = server;
    }

    private S3ReplicaClient open(String path, String extra) throws Exception {
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
        String url = "s3://" + S3ProxyServer.BUCKET + "/" + path + "?endpoint=" + server.uri() + extra;
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), env), env);
    }

    private static LtxBody body(long min, long max, int size) {
        return LtxBody.of(LtxTestFiles.body(min, max, 1_700_000_000_000L, size, min));
    }

    @Test
    void countsEveryHttpRequestByKindAndOutcome() throws Exception {
        try (S3ReplicaClient client = open("store-requests", "")) {
            StoreRequests requests = client.storeRequests().orElseThrow();
            client.createFile(0, 1, 1, body(1, 1, 300));
            client.createFile(0, 2, 2, body(2, 2, 300));
            assertThatThrownBy(() -> client.createFile(0, 2, 2, body(2, 2, 300)))
                    .isInstanceOf(ReplicaAlreadyExistsException.class);
            // the check before the first create (S3CreateCheck) is one more of each on a replica's first write
            assertThat(requests.byKindAndOutcome()).isEqualTo(Map.of("put/ok", 3L, "put/precondition_failed", 2L));

            List<LtxFileInfo> listed = client.listFiles(0, 0, true);
            assertThat(listed).hasSize(2);
            // one LIST, then one HEAD per file for the stored timestamps: the SPI call counts once, the store bills 3
            assertThat(requests.count("list", "ok")).isEqualTo(1);
            assertThat(requests.count("head", "ok")).isEqualTo(2);

            assertThatThrownBy(() -> client.readRange(0, 7, 7, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
            assertThat(requests.count("get", "not_found")).isEqualTo(1);
            assertThat(client.readRange(0, 1, 1, 0, 100)).hasSize(100);
            assertThat(requests.count("get", "ok")).isEqualTo(1);

            client.deleteFiles(listed);
            assertThat(requests.count("delete", "ok")).isEqualTo(1); // one batch request for both keys
            assertThat(requests.total()).isEqualTo(5 + 3 + 2 + 1);
        }
    }

    @Test
    void aMultipartCreateCountsEachOfItsRequests() throws Exception {
        try (S3ReplicaClient client = open("store-requests-multipart", "&part-size=5242880")) {
            StoreRequests requests = client.storeRequests().orElseThrow();
            client.createFile(0, 1, 1, body(1, 1, 11 * 1024 * 1024));
            // S3CreateCheck: two PUTs, then its multipart check (start, one part, completion 412, abort); then the
            // file: start, three parts, completion
            assertThat(requests.count("put", "ok")).isEqualTo(1 + 1 + 3);
            assertThat(requests.count("put", "precondition_failed")).isEqualTo(1);
            assertThat(requests.count("other", "ok")).isEqualTo(2 + 2);
            assertThat(requests.count("other", "precondition_failed")).isEqualTo(1);
        }
    }

    /**
     * The SDK's own retries are requests too: a listing answered twice with 503 and then served is three LIST
     * requests on the bill (two throttled), while the SPI call, and so {@code CountingReplicaClient}, sees one.
     */
    @Test
    void theSdksOwnRetriesAreCountedAsTheStoreSeesThem() throws Exception {
        AtomicInteger served = new AtomicInteger();
        try (ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> answer(fake, served), "fake-s3");
            t.setDaemon(true);
            t.start();
            ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"));
            String url = "s3://bucket/db?endpoint=http://127.0.0.1:" + fake.getLocalPort() + "&forcePathStyle=true";
            try (S3ReplicaClient client = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), env), env)) {
                assertThat(client.listFiles(0, 0, false)).isEmpty();
                StoreRequests requests = client.storeRequests().orElseThrow();
                assertThat(requests.byKindAndOutcome()).isEqualTo(Map.of("list/throttled", 2L, "list/ok", 1L));
            }
        }
        assertThat(served).hasValue(3);
    }

    /** Answers 503 SlowDown twice, then an empty listing; one request per connection. */
    private static void answer(ServerSocket server, AtomicInteger served) {
        String empty = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/"
                + "2006-03-01/\"><Name>bucket</Name><Prefix>db/0000/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
                + "<IsTruncated>false</IsTruncated></ListBucketResult>";
        String slowDown = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce"
                + " your request rate.</Message></Error>";
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    // the request head; a listing has no body
                }
                boolean ok = served.incrementAndGet() > 2;
                byte[] body = (ok ? empty : slowDown).getBytes(StandardCharsets.UTF_8);
                String head = (ok ? "HTTP/1.1 200 OK" : "HTTP/1.1 503 Slow Down") + "\r\nContent-Type: application/xml\r\n"
                        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
                OutputStream out = s.getOutputStream();
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // closed at the end of the test
            }
        }
    }
}
