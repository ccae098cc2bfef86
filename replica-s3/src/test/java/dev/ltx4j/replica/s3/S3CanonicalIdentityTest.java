package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every spelling of one S3 replica has one canonical identity, distinct replicas have distinct ones, none a secret. */
class S3CanonicalIdentityTest {
    private static final ReplicaEnvironment NO_ENV = ReplicaEnvironment.of(Map.of());

    private static String id(String url, ReplicaEnvironment env) throws ReplicaException {
        return new S3ReplicaClientProvider().canonicalIdentity(ReplicaUrl.parse(url), env);
    }

    private static String id(String url) throws ReplicaException {
        return id(url, NO_ENV);
    }

    @Test
    void spellingsOfOneReplicaAreOneIdentity() throws Exception {
        assertThat(id("s3://bucket/prefix")).isEqualTo("s3://bucket/prefix")
                .isEqualTo(id("s3://bucket/prefix/"))
                .isEqualTo(id("s3://bucket//prefix/./"))
                .isEqualTo(id("s3://bucket/other/../prefix"))
                .isEqualTo(id("s3://bucket/prefix?region=eu-west-1"))
                .isEqualTo(id("s3://bucket.s3.eu-west-1.amazonaws.com/prefix"))
                .isEqualTo(id("s3://bucket/prefix?partSize=10485760&request-timeout=5s"))
                .isEqualTo(id("s3://bucket/prefix", ReplicaEnvironment.of(Map.of("AWS_REGION", "ap-south-1"))));
    }

    @Test
    void endpointSpellingsAndQueryOrderAreOneIdentity() throws Exception {
        String canonical = "s3://bucket/db?endpoint=http://127.0.0.1:9000";
        assertThat(id("s3://bucket/db?endpoint=127.0.0.1:9000&region=us-east-1")).isEqualTo(canonical)
                .isEqualTo(id("s3://bucket/db?region=us-east-1&endpoint=http://127.0.0.1:9000/"))
                .isEqualTo(id("s3://bucket/db/?forcePathStyle=true&endpoint=HTTP://127.0.0.1:9000"))
                .isEqualTo(id("s3://bucket.127.0.0.1:9000/db"))
                .isEqualTo(id("s3://bucket/db", ReplicaEnvironment.of(Map.of("LITESTREAM_S3_ENDPOINT", "127.0.0.1:9000"))));
        assertThat(id("s3://bucket/db?endpoint=https://minio.example.com:443/"))
                .isEqualTo(id("s3://bucket/db?endpoint=minio.example.com"))
                .isEqualTo("s3://bucket/db?endpoint=https://minio.example.com");
    }

    @Test
    void loopbackSpellingsOfOneServerAreOneIdentity() throws Exception {
        String canonical = "s3://bucket/db?endpoint=http://127.0.0.1:9000";
        assertThat(id("s3://bucket/db?endpoint=http://localhost:9000")).isEqualTo(canonical)
                .isEqualTo(id("s3://bucket/db?endpoint=localhost:9000"))
                .isEqualTo(id("s3://bucket/db?endpoint=http://LocalHost.:9000/"))
                .isEqualTo(id("s3://bucket.localhost:9000/db"))
                .isEqualTo(id("s3://bucket/db?endpoint=http://[::1]:9000"))
                .isEqualTo(id("s3://bucket/db", ReplicaEnvironment.of(Map.of("LITESTREAM_S3_ENDPOINT", "localhost:9000"))));
        assertThat(id("s3://bucket/db?endpoint=http://localhost:9001")).isNotEqualTo(canonical);
        assertThat(id("s3://bucket/db?endpoint=https://localhost:9000")).isNotEqualTo(canonical);
        assertThat(id("s3://bucket/db?endpoint=http://127.0.0.2:9000")).as("another loopback address, maybe another"
                + " server").isNotEqualTo(canonical);
    }

    @Test
    void onAwsTheRegionCountsOnlyThroughItsPartition() throws Exception {
        assertThat(id("s3://bucket/db?region=us-west-2")).isEqualTo(id("s3://bucket/db?region=eu-central-1"))
                .isEqualTo(id("s3://bucket/db?endpoint=https://s3.eu-west-1.amazonaws.com"))
                .isEqualTo(id("s3://bucket/db?endpoint=s3.amazonaws.com&region=eu-west-1"))
                .isEqualTo(id("s3://bucket/db?endpoint=https://s3.dualstack.us-east-1.amazonaws.com/"))
                .isEqualTo("s3://bucket/db");
        // GovCloud and China are other partitions: the same bucket name there is another bucket.
        assertThat(id("s3://bucket/db?region=us-gov-west-1")).isEqualTo("s3://bucket/db?partition=aws-us-gov")
                .isEqualTo(id("s3://bucket.s3.us-gov-east-1.amazonaws.com/db"))
                .isEqualTo(id("s3://bucket/db?endpoint=https://s3-fips.us-gov-west-1.amazonaws.com"))
                .isNotEqualTo(id("s3://bucket/db"));
        assertThat(id("s3://bucket/db", ReplicaEnvironment.of(Map.of("AWS_REGION", "cn-north-1"))))
                .isEqualTo("s3://bucket/db?partition=aws-cn")
                .isEqualTo(id("s3://bucket/db?endpoint=https://s3.cn-north-1.amazonaws.com.cn"));
        // A custom endpoint names its store; its region only signs.
        assertThat(id("s3://bucket/db?endpoint=http://127.0.0.1:9000&region=us-gov-west-1"))
                .isEqualTo(id("s3://bucket/db?endpoint=http://127.0.0.1:9000&region=eu-west-1"));
        assertThat(id("s3://bucket/db?endpoint=http://s3.eu-west-1.amazonaws.com"))
                .as("plain HTTP to an AWS name is spelled as given").isNotEqualTo(id("s3://bucket/db"));
    }

    @Test
    void differentReplicasAreDifferentIdentities() throws Exception {
        assertThat(id("s3://bucket/db")).isNotEqualTo(id("s3://bucket/db2"))
                .isNotEqualTo(id("s3://other/db"))
                .isNotEqualTo(id("s3://bucket/DB"))
                .isNotEqualTo(id("s3://bucket/db?endpoint=http://127.0.0.1:9000"));
        assertThat(id("s3://bucket/db?endpoint=http://127.0.0.1:9000"))
                .isNotEqualTo(id("s3://bucket/db?endpoint=http://127.0.0.1:9001"));
        // "." and "" are different key prefixes ("./0000/..." and "/0000/..."), so different replicas.
        assertThat(id("s3://bucket")).isNotEqualTo(id("s3://bucket/"));
    }

    @Test
    void identityHoldsNoSecret() throws Exception {
        String id = id("s3://bucket/db?endpoint=http://127.0.0.1:9000/?X-Amz-Signature=s3cr3t&X-Amz-Credential=AKIAxyz"
                + "&sseKmsKeyId=kms-s3cr3t");
        assertThat(id).doesNotContain("s3cr3t").doesNotContain("AKIA").isEqualTo("s3://bucket/db?endpoint=http://127.0.0.1:9000");
    }
}
