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
}
