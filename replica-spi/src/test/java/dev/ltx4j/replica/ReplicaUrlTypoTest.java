package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * A scheme typed with one slash or none (docs/field-probes.md, "Round 8: a new user"): it was refused as "replica url
 * scheme required", though the scheme is there; now the missing {@code //} is named. Secrets stay redacted.
 */
class ReplicaUrlTypoTest {

    @Test
    void aKnownSchemeWithoutItsSlashesIsNamedAsSuch() {
        assertThatThrownBy(() -> ReplicaUrl.parse("s3:/mybucket/db")).isInstanceOf(ReplicaPermanentException.class)
                .hasMessage("replica url needs // after s3: s3:/mybucket/db (expected s3://bucket/path)");
        assertThatThrownBy(() -> ReplicaUrl.parse("file:relative/sub"))
                .hasMessageContaining("needs // after file:").hasMessageContaining("file:///absolute/path");
        assertThatThrownBy(() -> ReplicaUrl.parse("ABS:container/p")).hasMessageContaining("needs // after abs:");
    }

    @Test
    void credentialsInATypoStayRedactedAndAnUnknownWordIsNotShownAsAScheme() {
        assertThatThrownBy(() -> ReplicaUrl.parse("s3:/AKIAKEY:s3cr3t@bucket/x"))
                .hasMessageNotContaining("s3cr3t").hasMessageNotContaining("AKIAKEY");
        assertThatThrownBy(() -> ReplicaUrl.parse("AKIAKEY:s3cr3t@bucket/x"))
                .hasMessageStartingWith("replica url scheme required")
                .hasMessageNotContaining("s3cr3t").hasMessageNotContaining("AKIAKEY");
    }
}
