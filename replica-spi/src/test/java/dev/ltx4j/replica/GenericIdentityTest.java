package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The default canonical identity of a backend that does not define its own. */
class GenericIdentityTest {
    @Test
    void mergesLexicalSpellingsAndHidesSecrets() throws Exception {
        assertThat(ReplicaUrl.parse("X://host/a/./b/?z=1&a=2").genericIdentity())
                .isEqualTo(ReplicaUrl.parse("x://host//a/b?a=2&z=1").genericIdentity())
                .isEqualTo("x://host/a/b?a=2&z=1");
        String id = ReplicaUrl.parse("x://user:s3cr3t@host/a?token=t0k3n&b=1").genericIdentity();
        assertThat(id).doesNotContain("s3cr3t").doesNotContain("t0k3n").doesNotContain("user");
    }

    @Test
    void aFileUrlWithoutAuthorityParses() throws Exception {
        ReplicaUrl u = ReplicaUrl.parse("file:/tmp/r/");
        assertThat(u.scheme()).isEqualTo("file");
        assertThat(u.authority()).isEmpty();
        assertThat(u.path()).isEqualTo("/tmp/r/");
        assertThat(u.original()).isEqualTo("file:/tmp/r/");
    }

    @Test
    void theAuthorityLessFormNeverLetsPastedCredentialsThrough() {
        for (String url : new String[] {"s3:/AKIA:s3cr3t/x@bucket/p?endpoint=%", "file:/AKIA:s3cr3t/x@host/p%",
                "abs:/acct:s3cr3t@c/p"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
                ReplicaUrl parsed = ReplicaUrl.parse(url);
                throw new AssertionError(parsed.redacted()); // parsed: the redacted form must hide it too
            }).satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
        }
    }
}
