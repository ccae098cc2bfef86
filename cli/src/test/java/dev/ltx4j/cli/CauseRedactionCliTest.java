package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The mends-lo review: a parser redacted the endpoint in its message but attached the URISyntaxException, whose
 * message holds the raw input, and the CLI's error line appended that cause. No secret may come back that way.
 */
class CauseRedactionCliTest {
    private static final String SECRET = "SeCrEt0123456789abcdefXYZ";

    @Test
    void anInvalidEndpointWithASignatureLeavesNoSecretInTheErrorLine() {
        for (String url : new String[] {
            "s3://bucket/db?endpoint=https://min%20io:9000/?sig=" + SECRET,
            "s3://bucket/db?endpoint=https://min%20io:9000/?X-Amz-Signature=" + SECRET,
            "abs://acct@cont/db?endpoint=http://min%20io:10000/devstoreaccount1?sig=" + SECRET}) {
            CliRun ls = CliRun.of("ltx", "ls", url);
            assertThat(ls.exitCode()).as(url).isNotZero();
            assertThat(ls.err()).as(url).contains("endpoint");
            assertThat(ls.out() + ls.err()).as(url).doesNotContain(SECRET).doesNotContain("SeCrEt0123");
        }
    }
}
