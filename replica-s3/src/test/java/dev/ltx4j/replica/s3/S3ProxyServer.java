package dev.ltx4j.replica.s3;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * JUnit extension: one in-process S3Proxy 4.1.0 per test JVM (in-memory store, 127.0.0.1, random port) with a
 * bucket {@link #BUCKET} created, handed to tests as an {@link Endpoint} parameter and stopped when the root
 * context closes.
 */
public final class S3ProxyServer implements ParameterResolver {
    public static final String BUCKET = "ltx4j-test";
    static final String ACCESS_KEY = "test-access";
    static final String SECRET_KEY = "test-secret-s3cr3t-value";

    /** A running server: its URI and credentials, and a raw SDK client for inspecting objects. */
    public record Endpoint(URI uri, String accessKey, String secretKey) {
        public S3Client rawClient() {
            return S3Client.builder()
                    .endpointOverride(uri)
                    .region(Region.US_EAST_1)
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                    .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create())
                    .build();
        }
    }

    private record Running(S3Proxy proxy, Endpoint endpoint) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            proxy.stop();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Endpoint.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(S3ProxyServer.class))
                .getOrComputeIfAbsent("server", k -> start(), Running.class).endpoint();
    }

    private static Running start() {
        try {
            Properties properties = new Properties();
            properties.setProperty(Constants.PROPERTY_IDENTITY, "");
            properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
            BlobStore store = BlobStores.create("transient", properties);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(store)
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!proxy.getState().equals("STARTED")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start within 30 s: " + proxy.getState());
                }
                Thread.onSpinWait();
            }
            Endpoint endpoint = new Endpoint(URI.create("http://127.0.0.1:" + proxy.getPort()), ACCESS_KEY, SECRET_KEY);
            try (S3Client raw = endpoint.rawClient()) {
                raw.createBucket(b -> b.bucket(BUCKET));
            }
            return new Running(proxy, endpoint);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start in-process S3Proxy: " + e, e);
        }
    }
}
