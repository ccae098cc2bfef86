package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** Level parsing and the cap on other libraries' loggers of the sqlite3/python hosts' SLF4J provider. */
class HostLogProviderTest {
    @TempDir
    Path tmp;

    @Test
    void levelsFromTheEnvironment() {
        assertThat(HostLogProvider.level(null, null)).isNull();
        assertThat(HostLogProvider.level("", " ")).isNull();
        assertThat(HostLogProvider.level(null, "/tmp/x.log")).isEqualTo(Level.INFO);
        assertThat(HostLogProvider.level("DEBUG", null)).isEqualTo(Level.DEBUG);
        assertThat(HostLogProvider.level("warning", null)).isEqualTo(Level.WARN);
        assertThat(HostLogProvider.level("off", "/tmp/x.log")).isNull();
        assertThat(HostLogProvider.level("loud", null)).isEqualTo(Level.INFO); // as the reference: else info
    }

    @Test
    void otherLibrariesGetWarningsOnlySoRequestHeadersNeverReachTheLog() throws Exception {
        Path log = tmp.resolve("host.log");
        HostLogProvider.Sink sink = new HostLogProvider.Sink(Level.TRACE, log.toString());
        sink.logger("org.apache.http.headers").debug(">> Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE");
        sink.logger("software.amazon.awssdk.request").info("sending request");
        sink.logger("software.amazon.awssdk.request").warn("slow down {}", 503);
        sink.logger("dev.ltx4j.syncer.Database").debug("synced TXID {}", "0000000000000001");
        String text = Files.readString(log);
        assertThat(text).doesNotContain("AKIDEXAMPLE", "Authorization", "sending request");
        assertThat(text).contains(" WARN software.amazon.awssdk.request slow down 503")
                .contains(" DEBUG dev.ltx4j.syncer.Database synced TXID 0000000000000001");
    }

    /**
     * Field probes, round 6: whatever reaches the host's log (an SDK's warning, an exception's text) has its
     * credentials masked: the values of the credential variables, and what follows a credential's name in a header,
     * URL or connection string. Before, a line was written as it came.
     */
    @Test
    void credentialsAreMaskedInEveryLineWhateverLoggerWroteIt() throws Exception {
        String token = "FwoGZXIvYXdzEXAMPLEsessiontoken0123456789";
        String secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        String sig = "j3VikAK1b%2BgW3PxllOVcYngMeAvg%2FGJqJ33zRWQLtdI%3D";
        String sas = "sv=2026-06-06&se=2026-12-06T04%3A15%3A08Z&sr=c&sp=racwdl&sig=" + sig;
        String key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        LogRedaction redaction = new LogRedaction(java.util.Map.of("AWS_SESSION_TOKEN", token,
                "AWS_SECRET_ACCESS_KEY", secret, "LITESTREAM_AZURE_SAS_TOKEN", sas));
        Path log = tmp.resolve("redacted.log");
        HostLogProvider.Sink sink = new HostLogProvider.Sink(Level.TRACE, log.toString(), redaction);
        sink.logger("software.amazon.awssdk.request").warn("retrying PUT with X-Amz-Security-Token: {}", token);
        sink.logger("software.amazon.awssdk.request").warn("presigned ?X-Amz-Security-Token=" + token
                + "&X-Amz-Signature=0a1b2c3d4e5f");
        sink.logger("com.azure.core.http").error("PUT http://127.0.0.1/a/c/b?" + sas + " failed");
        sink.logger("com.azure.core.http").error("decoded signature " + java.net.URLDecoder.decode(sig,
                java.nio.charset.StandardCharsets.UTF_8));
        sink.logger("com.azure.core.http").warn("Authorization: SharedKey devstoreaccount1:za88hOLkQcRtwPnr6G4cyymy=");
        sink.logger("dev.ltx4j.syncer.Database").info("bad connection string AccountName=a;AccountKey=" + key + ";x");
        sink.logger("dev.ltx4j.syncer.Database").info("key {} and bearer", secret,
                new IllegalStateException("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"));
        String text = Files.readString(log);
        assertThat(text).doesNotContain(token, secret, sig, java.net.URLDecoder.decode(sig,
                java.nio.charset.StandardCharsets.UTF_8), key, "za88hOLkQcRtwPnr6G4cyymy", "eyJhbGciOiJSUzI1NiJ9",
                "0a1b2c3d4e5f");
        assertThat(text).contains("X-Amz-Security-Token: <redacted>", "se=2026-12-06T04%3A15%3A08Z", // expiry kept
                "AccountKey=<redacted>", "SharedKey devstoreaccount1:<redacted>", "Bearer <redacted>")
                .hasLineCount(7);
    }

    /**
     * A short secret (6 characters: a test store's, a weak one) is masked as a literal, and a SAS inside a connection
     * string is cut at ';': before, values under 8 characters were written as they came, and the "signature" taken
     * from a connection string ran on to its end, so the signature alone was never masked.
     */
    @Test
    void shortSecretsAndConnectionStringSignaturesAreMasked() throws Exception {
        String shortSecret = "pa55wd";
        String sig = "k7VjzR2bQ%2Bn8TxWm0LpYc5Ha1Ue%3D";
        String connection = "BlobEndpoint=http://127.0.0.1:10000/acct;SharedAccessSignature=sv=2026-06-06&sr=c&sig="
                + sig + ";QueueEndpoint=http://127.0.0.1:10001/acct";
        LogRedaction redaction = new LogRedaction(java.util.Map.of("AWS_SECRET_ACCESS_KEY", shortSecret,
                "AZURE_STORAGE_CONNECTION_STRING", connection));
        Path log = tmp.resolve("short.log");
        HostLogProvider.Sink sink = new HostLogProvider.Sink(Level.TRACE, log.toString(), redaction);
        sink.logger("dev.ltx4j.syncer.Database").info("secret {} in a message", shortSecret);
        sink.logger("com.azure.core.http").error("decoded signature " + java.net.URLDecoder.decode(sig,
                java.nio.charset.StandardCharsets.UTF_8) + " and raw " + sig);
        String text = Files.readString(log);
        assertThat(text).doesNotContain(shortSecret, sig, java.net.URLDecoder.decode(sig,
                java.nio.charset.StandardCharsets.UTF_8)).hasLineCount(2);
    }
}
