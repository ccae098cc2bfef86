package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import dev.ltx4j.replica.azure.AzuriteServer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Field probes, round 6 (docs/credentials.md, "Logs"): a sqlite3 host with its log at TRACE (and the Azure SDK's
 * HTTP logging turned on) against real stores: S3Proxy with a session token (which S3Proxy refuses with 501: the
 * open fails, naming the store's message and the session token), Azurite with a SAS. Neither stderr nor stdout carries a secret, and the Azure
 * SDK's per-request warning about the JDK client's restricted content-length header is not printed.
 */
@ExtendWith(AzuriteServer.class)
class SecretsInHostLogsTest {
    @TempDir
    static Path root;
    static HostFixture dist;
    static AzuriteServer.Endpoint azurite;

    @BeforeAll
    static void layout(AzuriteServer.Endpoint endpoint) throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
        azurite = endpoint;
    }

    private static Map<String, String> env() throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_LOG_LEVEL", "trace");
        return env;
    }

    private static String writeAndSync(String name, String url) {
        return ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + root.resolve(name + ".db") + "?vfs=litestream&write_enabled=true"
                + "&buffer_path=" + root.resolve(name + "-buffer") + "&replica_url=" + url + "\n"
                + "create table t(id integer primary key, v text);\n"
                + "insert into t(v) values ('a'), ('b');\n"
                + "select litestream_sync();\n";
    }

    @Test
    void anAzureSasNeverAppearsAtTrace() throws Exception {
        BlobContainerClient container = new BlobServiceClientBuilder().connectionString(azurite.connectionString())
                .buildClient().getBlobContainerClient("secrets");
        container.createIfNotExists();
        String sas = container.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse("racwdl")));
        String sig = sas.replaceAll(".*sig=([^&]*).*", "$1");
        Map<String, String> env = env();
        env.put("LITESTREAM_AZURE_SAS_TOKEN", sas);
        env.put("AZURE_HTTP_LOG_DETAIL_LEVEL", "body_and_headers"); // an operator turning the SDK's HTTP log on
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, writeAndSync("azure",
                "abs://" + AzuriteServer.ACCOUNT + "@secrets/app?endpoint=" + azurite.blobEndpoint()), root);
        assertThat(r.err()).as(r.err()).contains("DEBUG dev.ltx4j.syncer.Database", "synced TXID 0000000000000001");
        // Not a warning per request that the JDK client sets content-length itself (22 lines for this script before).
        assertThat(r.err()).doesNotContain("The header is restricted");
        for (String out : new String[] {r.err(), r.out()}) {
            assertThat(out).doesNotContain(sig, URLDecoder.decode(sig, StandardCharsets.UTF_8), AzuriteServer.KEY);
        }
    }

    @Test
    void anAwsSessionTokenNeverAppearsAtTrace() throws Exception {
        String id = "AKIDHOSTPROBE";
        String secret = "host-probe-secret-key-0123456789";
        String token = "host-probe-session-token-0123456789";
        S3Proxy proxy = S3ProxyFixture.start(S3ProxyFixture.newStore(), 0, id, secret);
        try (S3Client raw = S3ProxyFixture.raw(proxy.getPort(), id, secret)) {
            raw.createBucket(b -> b.bucket("secrets"));
            Map<String, String> env = env();
            env.put("AWS_ACCESS_KEY_ID", id);
            env.put("AWS_SECRET_ACCESS_KEY", secret);
            env.put("AWS_SESSION_TOKEN", token);
            HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env,
                    ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                            + ".open file:" + root.resolve("s3.db") + "?vfs=litestream"
                            + "&replica_url=s3://secrets/app?endpoint=http://127.0.0.1:" + proxy.getPort() + "\n"
                            + "select count(*) from sqlite_schema;\n", root);
            // S3Proxy refuses the token's header (501): permanent (the same request gets the same answer), with the
            // store's message and the session token among the candidates, not blamed on ListObjectsV2 alone.
            assertThat(r.err()).as(r.err()).contains("HTTP 501, NotImplemented",
                    "A header you provided implies functionality that is not implemented", "x-amz-security-token",
                    "list-type=2");
            for (String out : new String[] {r.err(), r.out()}) {
                assertThat(out).doesNotContain(token, secret, "Signature=");
            }
        } finally {
            proxy.stop();
        }
    }
}
