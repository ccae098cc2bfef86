package dev.ltx4j.replica.s3;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3-compatible store that is not S3: an in-process S3Proxy (no authentication, so requests may be rewritten) behind
 * a small real HTTP proxy whose hooks rewrite requests, answer for the store, or rewrite its responses, as the stores
 * users bring do (headers ignored, features missing, listings out of order). Field probes, round 6.
 */
final class StoreInTheMiddle implements AutoCloseable {
    static final String BUCKET = "foreign";
    private static final Set<String> HOP_HEADERS = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "keep-alive", "date");

    /** One request as the proxy received it; headers keyed in lower case. */
    record Request(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        boolean isListV2() {
            return method.equals("GET") && query != null && query.contains("list-type=2");
        }

        boolean isConditionalPut() {
            return method.equals("PUT") && header("if-none-match") != null;
        }

        Request without(String header) {
            Map<String, List<String>> h = new TreeMap<>(headers);
            h.remove(header);
            return new Request(method, path, query, h, body);
        }
    }

    /** A response, from the store or made up by a hook. */
    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        static Response error(int status, String code) {
            String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + code
                    + " (made up by the probe)</Message><RequestId>probe</RequestId></Error>";
            return new Response(status, Map.of("Content-Type", List.of("application/xml")),
                    xml.getBytes(StandardCharsets.UTF_8));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Response withBody(String text) {
            return new Response(status, headers, text.getBytes(StandardCharsets.UTF_8));
        }

        Response withoutHeader(String name) {
            Map<String, List<String>> h = new LinkedHashMap<>();
            headers.forEach((k, v) -> {
                if (!k.equalsIgnoreCase(name)) {
                    h.put(k, v);
                }
            });
            return new Response(status, h, body);
        }
    }

    private final S3Proxy store;
    private final HttpServer front;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "store-in-the-middle");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI storeUri;
    private final List<Request> seen = new ArrayList<>();

    /** Answers instead of the store when it returns non-null. */
    volatile Function<Request, Response> answer = r -> null;
    /** Rewrites a request before the store sees it. */
    volatile UnaryOperator<Request> request = r -> r;
    /** Rewrites the store's response. */
    volatile BiFunction<Request, Response, Response> response = (q, r) -> r;

    StoreInTheMiddle() throws Exception {
        Properties properties = new Properties();
        properties.setProperty(Constants.PROPERTY_IDENTITY, "");
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
        BlobStore blobs = BlobStores.create("transient", properties);
        store = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.NONE, null, null).build();
        store.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!store.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + store.getState());
            }
            Thread.onSpinWait();
        }
        storeUri = URI.create("http://127.0.0.1:" + store.getPort());
        try (S3Client raw = S3Client.builder().endpointOverride(storeUri).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(AnonymousCredentialsProvider.create())
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create()).build()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        front.setExecutor(pool);
        front.createContext("/", this::handle);
        front.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + front.getAddress().getPort());
    }

    /** Requests received so far (before any rewriting). */
    synchronized List<Request> seen() {
        return List.copyOf(seen);
    }

    synchronized void forget() {
        seen.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (exchange.getRequestMethod().equals("PUT") && length != null
                    && Long.parseLong(length) > S3ReplicaClient.MAX_SINGLE_PUT) {
                // S3 refuses a single PUT above 5 GiB from its headers, before any of the body (not read here either)
                reply(exchange, null, Response.error(400, "EntityTooLarge"));
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            URI uri = exchange.getRequestURI();
            Request received = new Request(exchange.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(), headers, body);
            synchronized (this) {
                seen.add(received);
            }
            Response reply = answer.apply(received);
            if (reply == null) {
                Request sent = request.apply(received);
                reply = response.apply(sent, forward(sent));
            }
            reply(exchange, received, reply);
        } catch (Exception e) {
            reply(exchange, null, Response.error(500, "ProbeProxyFailed"));
        }
    }

    private Response forward(Request r) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(storeUri + r.path()
                + (r.query() == null ? "" : "?" + r.query()))).timeout(Duration.ofSeconds(30));
        r.headers().forEach((k, vs) -> {
            if (!HOP_HEADERS.contains(k)) {
                vs.forEach(v -> b.header(k, v));
            }
        });
        b.method(r.method(), r.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        HttpResponse<byte[]> resp = upstream.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, List<String>> h = new LinkedHashMap<>();
        resp.headers().map().forEach((k, v) -> {
            if (!HOP_HEADERS.contains(k.toLowerCase(Locale.ROOT)) || k.equalsIgnoreCase("content-length")) {
                h.put(k, v);
            }
        });
        return new Response(resp.statusCode(), h, resp.body());
    }

    private static void reply(HttpExchange exchange, Request request, Response reply) throws IOException {
        boolean head = request != null && request.method().equals("HEAD");
        reply.headers().forEach((k, v) -> {
            if (!k.equalsIgnoreCase("content-length") || head) {
                exchange.getResponseHeaders().put(k, v);
            }
        });
        boolean empty = head || reply.body().length == 0 || reply.status() == 204 || reply.status() == 304;
        exchange.sendResponseHeaders(reply.status(), empty ? -1 : reply.body().length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(reply.body());
            }
        }
    }

    @Override
    public void close() throws Exception {
        front.stop(0);
        pool.shutdownNow();
        store.stop();
    }
}
