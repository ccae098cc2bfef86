package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import org.junit.jupiter.api.Test;

/** Issue 8 item 6: the replica identity is the user's URL; messages must show it redacted. */
class ReplicaIdentityRedactionTest {
    @Test
    void readModeOpenOfAnEmptyReplicaDoesNotEchoCredentials() {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        String url = "s3://AKIDEXAMPLE:wJalrXUtn/FEMIK7MDENG@bucket/db?endpoint=http://u:pw0rd@h:9&sig=SIGVALUE";
        assertThatThrownBy(() -> Database.open(new InMemoryReplicaClient(), "app.db",
                Kit.reader(clock).replicaIdentity(url).build()))
                .isInstanceOf(DatabaseNotFoundException.class).hasMessageContaining("holds no LTX files")
                .hasMessageContaining("@bucket/db")
                .hasMessageNotContaining("wJalrXUtn").hasMessageNotContaining("FEMIK7MDENG")
                .hasMessageNotContaining("AKIDEXAMPLE").hasMessageNotContaining("pw0rd")
                .hasMessageNotContaining("SIGVALUE");
    }
}
