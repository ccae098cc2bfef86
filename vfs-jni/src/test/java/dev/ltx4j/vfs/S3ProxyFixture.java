package dev.ltx4j.vfs;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3Proxy that accepts one access key at a time, for the credential tests: a test stops it and starts another on
 * the same port and store with the next key, as a rotation or an expired role session does to a real bucket.
 */
final class S3ProxyFixture {
    private S3ProxyFixture() {}

    /** An in-memory store that outlives the proxies started on it. */
    static BlobStore newStore() {
        Properties properties = new Properties();
        properties.setProperty(Constants.PROPERTY_IDENTITY, "");
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
        return BlobStores.create("transient", properties);
    }

    /** Starts a proxy on {@code port} (0: any) that accepts only {@code id}/{@code secret}. */
    static S3Proxy start(BlobStore store, int port, String id, String secret) throws Exception {
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, id, secret).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start");
            }
            Thread.onSpinWait();
        }
        return proxy;
    }

    /** A plain SDK client with {@code id}/{@code secret}, to look at the bucket past the engine. */
    static S3Client raw(int port, String id, String secret) {
        return S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret)))
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create()).build();
    }
}
