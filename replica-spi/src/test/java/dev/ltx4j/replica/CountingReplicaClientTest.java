package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class CountingReplicaClientTest {
    @Test
    void countsRequestsAndBytes() throws Exception {
        CountingReplicaClient client = new CountingReplicaClient(new MapReplicaClient());
        LtxFileInfo f = client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 0, 500)));
        client.listFiles(0, 0, false);
        client.listFiles(1, 0, false);
        assertThat(client.readRange(0, 1, 1, 0, 0)).hasSize(500);
        try (InputStream in = client.openFile(0, 1, 1, 100, 50)) {
            assertThat(in.read()).isGreaterThanOrEqualTo(0);
        }
        assertThatThrownBy(() -> client.openFile(0, 2, 2, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        client.deleteFiles(List.of());
        client.deleteFiles(List.of(f));
        client.deleteAll();

        CountingReplicaClient.Counts c = client.snapshot();
        assertThat(c).isEqualTo(new CountingReplicaClient.Counts(2, 3, 1, 1, 1, 501, 500));
        assertThat(c.requests()).isEqualTo(8);
        assertThat(client.opensOf(0, 1, 1)).isEqualTo(2);
        assertThat(client.opensOf(0, 2, 2)).isEqualTo(1);
        assertThat(client.opensOf(0, 3, 3)).isZero();
        assertThat(client.requestsByKindAndOutcome()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                "create/ok", 1L, "list/ok", 2L, "open/ok", 2L, "open/not_found", 1L, "delete/ok", 1L,
                "delete_all/ok", 1L));
        client.reset();
        assertThat(client.requestsByKindAndOutcome()).isEmpty();
        assertThat(client.snapshot().requests()).isZero();
        assertThat(client.opensOf(0, 1, 1)).isZero();
    }
}
