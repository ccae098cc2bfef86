package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link S3ChainReason} on the AWS SDK 2.57 chain message shapes, and on anything else. */
class S3ChainReasonTest {
    private static final String HEAD = "Unable to load credentials from any of the providers in the chain "
            + "AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(), "
            + "ProfileCredentialsProvider(profileName=p, profileFile=ProfileFile(sections=[profiles], "
            + "profiles=[Profile(name=a, properties=[region]), Profile(name=p, properties=[credential_process])])), "
            + "ContainerCredentialsProvider(), InstanceProfileCredentialsProvider()]) : [";
    private static final String SYSTEM = "SystemPropertyCredentialsProvider(): Unable to load credentials from system"
            + " settings. Access key must be specified either via environment variable (AWS_ACCESS_KEY_ID) or system"
            + " property (aws.accessKeyId).";
    private static final String CONTAINER_ABSENT = "ContainerCredentialsProvider(): Cannot fetch credentials from"
            + " container - neither AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
            + " environment variables are set.";
    private static final String IMDS_OFF = "InstanceProfileCredentialsProvider(): IMDS credentials have been disabled"
            + " by environment variable or system property.";

    @Test
    void aProfileWithoutCredentialsLosesTheFileDump() {
        String m = HEAD + SYSTEM + ", ProfileCredentialsProvider(profileName=nope): Profile file contained no"
                + " credentials for profile 'nope': ProfileFile(sections=[profiles], profiles=[Profile(name=a,"
                + " properties=[region])]), " + CONTAINER_ABSENT + ", " + IMDS_OFF + "]";
        assertThat(S3ChainReason.of(m)).isEqualTo("profile 'nope': Profile file contained no credentials for profile"
                + " 'nope' (not configured: system properties, container credentials endpoint, instance metadata)");
    }

    @Test
    void aProfileWithAnEmptyReasonIsACredentialProcess() {
        String m = HEAD + SYSTEM + ", ProfileCredentialsProvider(profileName=p, profileFile=ProfileFile(sections="
                + "[profiles], profiles=[Profile(name=p, properties=[credential_process])])): , " + CONTAINER_ABSENT
                + ", " + IMDS_OFF + "]";
        assertThat(S3ChainReason.of(m)).startsWith("profile 'p': failed and the AWS SDK gives no reason (its"
                + " credential_process exited non-zero").doesNotContain("ProfileFile(");
    }

    @Test
    void nothingConfiguredIsSaidOnce() {
        String m = HEAD + SYSTEM + ", " + CONTAINER_ABSENT + ", " + IMDS_OFF + "]";
        assertThat(S3ChainReason.of(m)).isEqualTo("no source is configured (system properties, container credentials"
                + " endpoint, instance metadata)");
    }

    @Test
    void otherMessagesPassThroughCutToTheirLimit() {
        assertThat(S3ChainReason.of("vault unreachable")).isEqualTo("vault unreachable");
        assertThat(S3ChainReason.of(null)).isEqualTo("null");
        assertThat(S3ChainReason.of("x".repeat(2000))).hasSize(1503).endsWith("...");
        String unbalanced = HEAD + "ProfileCredentialsProvider(profileName=p: oops]";
        assertThat(S3ChainReason.of(unbalanced)).isEqualTo(unbalanced);
    }
}
