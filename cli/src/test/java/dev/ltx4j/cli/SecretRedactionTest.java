package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 6: no credential, in any URL part, appears in any output. A seeded loop builds many well-formed and
 * malformed replica URLs that carry a known secret in user info, query parameters, nested endpoints, percent-encoded
 * or not, and checks every message (with its causes), toString and CLI stdout/stderr for it.
 */
class SecretRedactionTest {
    /** AWS-style: contains '/' and '+', which pasted URLs rarely encode. */
    private static final String SECRET = "wJalrXUtn/FEMIK7MDENG+bPxRfiCYzQ";
    private static final String ENV_SECRET = "EnvSecretValue0123456789abcdef";

    @TempDir
    Path tmp;

    private static final String[] SCHEMES = {"s3://", "abs://", "file://", "S3://", "gs://", "", "s3:", "s3:/"};
    private static final String[] AUTHORITIES = {
        "AKIDEXAMPLE:{S}@bucket", "{S}@bucket", "AKIDEXAMPLE:{S}@bucket.127.0.0.1:9000", "AKIDEXAMPLE:{S}@",
        "AKIDEXAMPLE:{S}@localhost", "acct:{S}@container", "AKIDEXAMPLE%3A{E}%40bucket", "AKIDEXAMPLE:{E}%ZZ@bucket",
        "AKIDEXAMPLE:{S}@arn:aws:s3:us-east-1:123456789012:accesspoint", "bucket", "acct@container", "",
        "127.0.0.1:9000", "AKIDEXAMPLE:{S}@@bucket"};
    private static final String[] QUERIES = {
        "", "?endpoint=http://user:{S}@127.0.0.1:9", "?endpoint=http%3A%2F%2Fuser%3A{E}%40127.0.0.1%3A9",
        "?sv=2022-11-02&sig={E}&se=2030-01-01", "?X-Amz-Signature={E}&X-Amz-Credential={E}", "?key={E}",
        "?token={E}", "?password={E}", "?sas={E}", "?sseCustomerKey={E}", "?endpoint=user:{S}@127.0.0.1:9",
        "?endpoint=http://127.0.0.1:9/acct?sig={E}", "#{S}", "?partSize=bad&secret={E}", "?endpoint=ftp://u:{S}@h",
        "?endpoint=http://u:{S}@", "?region=us-east-1&AccountKey={E}", "?endpoint={E}%"};

    private static String fill(String template, String secret) {
        return template.replace("{S}", secret).replace("{E}", java.net.URLEncoder.encode(secret,
                java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The secret and its pieces around '/' and '+', raw and percent-encoded. */
    private static List<String> forbidden() {
        Set<String> out = new LinkedHashSet<>();
        for (String s : new String[] {SECRET, ENV_SECRET}) {
            out.add(s);
            out.add(java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8));
            for (String piece : s.split("[/+]")) {
                if (piece.length() >= 6) {
                    out.add(piece);
                }
            }
        }
        return List.copyOf(out);
    }

    private static List<String> urls() {
        List<String> urls = new ArrayList<>();
        Random random = new Random(8_006);
        for (String scheme : SCHEMES) {
            for (String authority : AUTHORITIES) {
                for (String query : QUERIES) {
                    // Every combination with a secret somewhere, plus a seeded sample of paths.
                    String path = switch (random.nextInt(4)) {
                        case 0 -> "";
                        case 1 -> "/p";
                        case 2 -> "/a/b/db";
                        default -> "/";
                    };
                    String url = fill(scheme + authority + path + query, SECRET);
                    if (url.contains(SECRET) || url.contains(java.net.URLEncoder.encode(SECRET,
                            java.nio.charset.StandardCharsets.UTF_8))) {
                        urls.add(url);
                    }
                }
            }
        }
        return urls;
    }

    private static String chain(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
            for (Throwable s : t.getSuppressed()) {
                b.append(s).append('\n');
            }
        }
        return b.toString();
    }

    private static void assertClean(String where, String url, String text) {
        for (String f : forbidden()) {
            assertThat(text).as("%s of %s", where, url).doesNotContain(f);
        }
    }

    @Test
    void noMessageOrToStringCarriesTheSecret() {
        ReplicaEnvironment withCredentials = ReplicaEnvironment.of(Map.of(
                "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", ENV_SECRET,
                "LITESTREAM_AZURE_ACCOUNT_KEY", ENV_SECRET, "AWS_SESSION_TOKEN", ENV_SECRET));
        ReplicaEnvironment withSas = ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_SAS_TOKEN", "sv=1&sig=" + ENV_SECRET,
                "AZURE_STORAGE_CONNECTION_STRING", "AccountKey=" + ENV_SECRET));
        ReplicaEnvironment none = ReplicaEnvironment.of(Map.of());
        List<String> urls = urls();
        int failures = 0;
        int opened = 0;
        for (String url : urls) {
            assertClean("redact", url, ReplicaUrl.redact(url));
            try {
                assertClean("ReplicaUrl.toString", url, ReplicaUrl.parse(url).toString());
            } catch (ReplicaException e) {
                assertClean("parse error", url, chain(e));
            }
            for (ReplicaEnvironment env : List.of(withCredentials, withSas, none)) {
                try (ReplicaClient client = ReplicaClients.open(url, env)) {
                    opened++;
                    assertClean("client toString", url, client.toString());
                } catch (ReplicaException | RuntimeException e) {
                    failures++;
                    assertClean("open error", url, chain(e));
                }
            }
        }
        System.out.printf("secret redaction: %d URLs, %d opens refused, %d accepted, none leaked%n", urls.size(),
                failures, opened);
        assertThat(urls.size()).isGreaterThan(500);
        assertThat(failures).isGreaterThan(urls.size());
    }

    @Test
    void cliOutputNeverCarriesTheSecret() {
        List<String> urls = urls();
        Random random = new Random(86);
        int runs = 0;
        for (String url : urls) {
            // A seeded sample (each run costs a little): a quarter through `ltx ls`, an eighth through restore.
            int pick = random.nextInt(8);
            if (pick < 2) {
                CliRun ls = CliRun.of("ltx", "ls", url);
                assertClean("ltx ls output", url, ls.out() + ls.err());
                runs++;
            }
            if (pick == 7) {
                CliRun restore = CliRun.of("restore", url, "-o", tmp.resolve("o" + runs + ".db").toString());
                assertClean("restore output", url, restore.out() + restore.err());
                runs++;
            }
        }
        System.out.printf("secret redaction: %d CLI runs, none leaked%n", runs);
    }
}
