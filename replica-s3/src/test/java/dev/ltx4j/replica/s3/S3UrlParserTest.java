package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.support.GoPath;
import dev.ltx4j.replica.support.MetadataTimestamp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S3UrlParserTest {
    private static final ReplicaEnvironment NO_ENV = ReplicaEnvironment.of(Map.of());

    private static S3ReplicaConfig parse(String url) throws ReplicaPermanentException {
        return S3UrlParser.parse(ReplicaUrl.parse(url), NO_ENV);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # url                                                       | bucket          | path     | region       | endpoint                                 | pathStyle
            s3://bucket                                                 | bucket          | .        | us-east-1    | -                                        | false
            s3://bucket/                                                | bucket          | ''       | us-east-1    | -                                        | false
            s3://bucket/db                                              | bucket          | db       | us-east-1    | -                                        | false
            s3://bucket/db/                                             | bucket          | db       | us-east-1    | -                                        | false
            s3://bucket//a/./b/../c                                     | bucket          | a/c      | us-east-1    | -                                        | false
            s3://bucket/..                                              | bucket          | ''       | us-east-1    | -                                        | false
            s3://bucket/a%20b                                           | bucket          | a b      | us-east-1    | -                                        | false
            s3://bucket/db?region=eu-west-1                             | bucket          | db       | eu-west-1    | -                                        | false
            s3://my.bucket.s3.eu-central-1.amazonaws.com/db             | my.bucket       | db       | eu-central-1 | -                                        | false
            s3://bucket.s3.amazonaws.com/db                             | bucket          | db       | us-east-1    | -                                        | false
            s3://bucket.s3-us-west-2.amazonaws.com/db                   | bucket          | db       | us-west-2    | -                                        | false
            s3://bucket.nyc3.digitaloceanspaces.com/db                  | bucket          | db       | nyc3         | https://nyc3.digitaloceanspaces.com      | false
            s3://bucket.s3.us-west-004.backblazeb2.com/db               | bucket          | db       | us-west-004  | https://s3.us-west-004.backblazeb2.com   | true
            s3://bucket.s3.filebase.com/db                              | bucket          | db       | us-east-1    | https://s3.filebase.com                  | true
            s3://bucket.s3.fr-par.scw.cloud/db                          | bucket          | db       | fr-par       | https://s3.fr-par.scw.cloud              | false
            s3://bucket.localhost:9000/db                               | bucket          | db       | us-east-1    | http://localhost:9000                    | true
            s3://bucket.minio.example:9000/db                           | bucket          | db       | us-east-1    | http://minio.example:9000                | true
            s3://bucket/db?endpoint=localhost:9000                      | bucket          | db       | us-east-1    | http://localhost:9000                    | true
            s3://bucket/db?endpoint=127.0.0.1:9000                      | bucket          | db       | us-east-1    | http://127.0.0.1:9000                    | true
            s3://bucket/db?endpoint=10.1.2.3                            | bucket          | db       | us-east-1    | http://10.1.2.3                          | true
            s3://bucket/db?endpoint=192.168.0.5:80                      | bucket          | db       | us-east-1    | http://192.168.0.5:80                    | true
            s3://bucket/db?endpoint=172.16.0.1                          | bucket          | db       | us-east-1    | http://172.16.0.1                        | true
            s3://bucket/db?endpoint=172.32.0.1                          | bucket          | db       | us-east-1    | https://172.32.0.1                       | true
            s3://bucket/db?endpoint=nas.local:9000                      | bucket          | db       | us-east-1    | http://nas.local:9000                    | true
            s3://bucket/db?endpoint=storage.example.com                 | bucket          | db       | us-east-1    | https://storage.example.com              | true
            s3://bucket/db?endpoint=http://storage.example.com:8080     | bucket          | db       | us-east-1    | http://storage.example.com:8080          | true
            s3://bucket/db?endpoint=localhost:9000&forcePathStyle=false | bucket          | db       | us-east-1    | http://localhost:9000                    | false
            s3://bucket/db?force-path-style=yes                         | bucket          | db       | us-east-1    | -                                        | true
            s3://bucket/db?endpoint=localhost:9000&region=auto          | bucket          | db       | auto         | http://localhost:9000                    | true
            """)
    void parsesLikeLitestream(String url, String bucket, String path, String region, String endpoint, boolean pathStyle)
            throws Exception {
        S3ReplicaConfig config = parse(url);
        assertThat(config.bucket()).isEqualTo(bucket);
        assertThat(config.path()).isEqualTo(path);
        assertThat(config.region()).isEqualTo(region);
        assertThat(config.endpoint().map(Object::toString).orElse(null)).isEqualTo(endpoint);
        assertThat(config.forcePathStyle()).isEqualTo(pathStyle);
    }

    @Test
    void accessPointArnKeepsTheWholeArnAsBucketAndTakesItsRegion() throws Exception {
        S3ReplicaConfig config = parse("s3://arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap/db/x");
        assertThat(config.bucket()).isEqualTo("arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap");
        assertThat(config.path()).isEqualTo("db/x");
        assertThat(config.region()).isEqualTo("us-west-2");
        assertThat(config.endpoint()).isEmpty();
    }

    @Test
    void environmentSuppliesEndpointAndRegion() throws Exception {
        S3ReplicaConfig config = S3UrlParser.parse(ReplicaUrl.parse("s3://bucket/db"), ReplicaEnvironment.of(
                Map.of("LITESTREAM_S3_ENDPOINT", "minio:9000", "AWS_REGION", "eu-north-1")));
        assertThat(config.endpoint()).hasValueSatisfying(e -> assertThat(e).hasToString("https://minio:9000"));
        assertThat(config.forcePathStyle()).isTrue();
        assertThat(config.region()).isEqualTo("eu-north-1");
    }

    @Test
    void urlEndpointWinsOverEnvironment() throws Exception {
        S3ReplicaConfig config = S3UrlParser.parse(ReplicaUrl.parse("s3://bucket/db?endpoint=localhost:1"),
                ReplicaEnvironment.of(Map.of("LITESTREAM_S3_ENDPOINT", "other:2")));
        assertThat(config.endpoint()).hasValueSatisfying(e -> assertThat(e).hasToString("http://localhost:1"));
    }

    @Test
    void optionsAreParsed() throws Exception {
        S3ReplicaConfig config = parse("s3://bucket/db?partSize=10485760&concurrency=4&storage-class=STANDARD_IA"
                + "&sseKmsKeyId=key-1&requireContentMD5=false&skipVerify=true");
        assertThat(config.partSize()).isEqualTo(10485760L);
        assertThat(config.concurrency()).isEqualTo(4);
        assertThat(config.storageClass()).contains("STANDARD_IA");
        assertThat(config.sseKmsKeyId()).contains("key-1");
        assertThat(config.requireContentMd5()).isFalse();
        assertThat(config.skipVerify()).isTrue();
        assertThat(parse("s3://bucket").partSize()).isEqualTo(S3ReplicaConfig.MIN_PART_SIZE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            s3:///db                                         | bucket name is required
            s3://                                            | bucket name is required
            s3://bucket/db?partSize=abc                      | invalid value for query parameter partSize: 'abc'
            s3://bucket/db?part-size=-5                      | invalid value for query parameter partSize: '-5'
            s3://bucket/db?partSize=1024                     | part size must be at least 5242880 bytes, got 1024
            s3://bucket/db?concurrency=0                     | invalid value for query parameter concurrency: '0'
            s3://localhost:9000/db                           | has a port but no bucket
            s3://arn:aws:s3:us-east-1:1:accesspoint          | invalid access point ARN
            s3://arn:aws:s3:us-east-1:1:bucket/x/db          | invalid access point ARN
            s3://bucket/db?endpoint=ftp://host               | invalid endpoint 'ftp://host'
            s3://bucket/db?sseCustomerKey=c2VjcmV0           | 'sseCustomerKey' (SSE-C) is not supported
            s3://user@bucket/db                              | credentials in the replica URL are not supported
            """)
    void rejectsBadUrlsNamingTheProblem(String url, String message) {
        assertThatThrownBy(() -> parse(url))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void secretQueryValuesAreRedactedInErrors() {
        assertThatThrownBy(() -> parse("s3://bucket/db?sseCustomerKey=TOPSECRETVALUE&partSize=x"))
                .isInstanceOf(ReplicaPermanentException.class)
                .message().doesNotContain("TOPSECRETVALUE");
    }

    /**
     * Issue 8 item 6: {@code s3://KEY:SECRET@bucket/p} was answered with "host 'KEY:SECRET@bucket' has a port but no
     * bucket", echoing the secret and calling the ':' a port; an endpoint with user info was echoed verbatim.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            s3://AKIDEXAMPLE:TOPSECRETVALUE@bucket/db                        | credentials in the replica URL are not supported
            s3://AKIDEXAMPLE:TOPSECRETVALUE@bucket.127.0.0.1:9000/db          | credentials in the replica URL are not supported
            s3://AKIDEXAMPLE:TOP/SECRETVALUE@bucket/db                       | credentials in the replica URL are not supported
            s3://AKIDEXAMPLE%3ATOPSECRETVALUE%40bucket/db                   | credentials in the replica URL are not supported
            s3://bucket/db?endpoint=http://AKIDEXAMPLE:TOPSECRETVALUE@127.0.0.1:9000 | credentials in the endpoint are not supported
            s3://bucket/db?endpoint=AKIDEXAMPLE:TOPSECRETVALUE@127.0.0.1:9000 | credentials in the endpoint are not supported
            """)
    void credentialsInTheUrlAreRefusedWithoutEchoingThem(String url, String message) {
        assertThatThrownBy(() -> parse(url))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining(message)
                .hasMessageContaining("AWS_ACCESS_KEY_ID")
                .hasMessageNotContaining("has a port")
                .hasMessageNotContaining("TOPSECRETVALUE").hasMessageNotContaining("SECRETVALUE")
                .hasMessageNotContaining("AKIDEXAMPLE");
    }

    @Test
    void timeoutsComeFromTheUrl() throws Exception {
        S3ReplicaConfig c = parse("s3://bucket/db?connect-timeout=250ms&request-timeout=2s");
        assertThat(c.timeouts().connect()).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(c.timeouts().request()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(parse("s3://bucket/db").timeouts()).isEqualTo(dev.ltx4j.replica.ReplicaTimeouts.defaults());
        assertThatThrownBy(() -> parse("s3://bucket/db?request-timeout=forever"))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("request-timeout");
    }

    @Test
    void wrongSchemeIsRejected() {
        assertThatThrownBy(() -> parse("abs://container/db")).hasMessageContaining("not an s3 replica URL");
    }

    @Test
    void goPathCleanCases() {
        assertThat(GoPath.clean("")).isEqualTo(".");
        assertThat(GoPath.clean("/")).isEqualTo("/");
        assertThat(GoPath.clean("a/../..")).isEqualTo("..");
        assertThat(GoPath.clean("../a/./b/")).isEqualTo("../a/b");
        assertThat(GoPath.clean("/../a")).isEqualTo("/a");
        assertThat(GoPath.clean("a//b")).isEqualTo("a/b");
    }

    @Test
    void metadataTimestampMatchesGoRfc3339Nano() {
        assertThat(MetadataTimestamp.format(java.time.Instant.parse("2024-01-02T03:04:05.120Z")))
                .isEqualTo("2024-01-02T03:04:05.12Z");
        assertThat(MetadataTimestamp.format(java.time.Instant.parse("2024-01-02T03:04:05Z")))
                .isEqualTo("2024-01-02T03:04:05Z");
        assertThat(MetadataTimestamp.format(java.time.Instant.parse("2024-01-02T03:04:05.001Z")))
                .isEqualTo("2024-01-02T03:04:05.001Z");
        assertThat(MetadataTimestamp.format(java.time.Instant.EPOCH)).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(MetadataTimestamp.parse("2024-01-02T03:04:05.12Z"))
                .contains(java.time.Instant.parse("2024-01-02T03:04:05.120Z"));
        assertThat(MetadataTimestamp.parse("2024-01-02T03:04:05.123456789+01:00"))
                .contains(java.time.Instant.parse("2024-01-02T02:04:05.123456789Z"));
        assertThat(MetadataTimestamp.parse("garbage")).isEmpty();
    }
}
