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
