package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The conflict message is read by sqlite3 and Python users too, who have no refresh() method to call. */
class ConflictAdviceTest {
    @Test
    void theAdviceNamesThePragmaAndTheJavaMethod() {
        String m = new ConflictInfo(8, 12, 7, Path.of("/b/conflicts/x.ltx"), 0).message();
        assertThat(m).contains("TXID 000000000000000c", "built on 0000000000000008", "7 unsynced", "/b/conflicts/x.ltx",
                "PRAGMA litestream_refresh", "LitestreamDatabase.refresh()");
    }
}
