package dev.ltx4j.vfs;

import dev.ltx4j.replica.s3.S3ProxyServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The contract's examples over S3 (in-process S3Proxy); Litestream's S3 keys are {@code <path>/<level %04x>/...}. */
@ExtendWith(S3ProxyServer.class)
class SeedOverS3Test extends SeedOverObjectStorage {
    private static S3ProxyServer.Endpoint s3;

    @BeforeAll
    static void bucket(S3ProxyServer.Endpoint endpoint) {
        s3 = endpoint;
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @Override
    String plainUrl(String path) {
        return "s3://" + BUCKET + "/" + path;
    }

    @Override
    String endpointQuery() {
        return "?endpoint=" + s3.uri() + "&forcePathStyle=true";
    }

    @Override
    Map<String, String> endpointVariable() {
        return Map.of("LITESTREAM_S3_ENDPOINT", s3.uri().toString());
    }

    @Override
    Map<String, String> credentials() {
        return Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
    }

    @Override
    List<String> rawKeys(String prefix) {
        try (S3Client raw = s3.rawClient()) {
            return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                    .map(S3Object::key).toList();
        }
    }

    @Override
    Pattern levelZeroKey(String path) {
        return Pattern.compile(Pattern.quote(path) + "/0000/([0-9a-f]{16})-([0-9a-f]{16})\\.ltx");
    }

    @Override
    Pattern anyLevelKey(String path) {
        // ltx4j-create-check: the S3 client's check that the store refuses a second create (docs/field-probes.md,
        // round 6); not an LTX name, so no listing of ltx4j or Litestream shows it
        return Pattern.compile(Pattern.quote(path) + "/(000[0-9]/([0-9a-f]{16})-([0-9a-f]{16})\\.ltx|ltx4j-create-check)");
    }
}
