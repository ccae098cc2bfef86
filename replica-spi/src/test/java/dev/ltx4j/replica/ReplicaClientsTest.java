package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaClientsTest {
    private static ReplicaClientProvider provider(String scheme, ReplicaClient client) {
        return new ReplicaClientProvider() {
            @Override
            public String scheme() {
                return scheme;
            }

            @Override
            public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) {
                return client;
            }
        };
    }

    private final ReplicaEnvironment env = ReplicaEnvironment.of(Map.of());

    @Test
    void dispatchesByScheme() throws Exception {
        MapReplicaClient mem = new MapReplicaClient();
        ReplicaClient c = ReplicaClients.open("MEM://x/y", env, List.of(provider("file", new MapReplicaClient()),
                provider("mem", mem)));
        assertThat(c).isSameAs(mem);
    }

    @Test
    void missingSchemeIsNamed() {
        assertThatThrownBy(() -> ReplicaClients.open("/var/lib/db", env, List.of()))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("replica url scheme required: /var/lib/db");
    }

    @Test
    void unknownSchemeListsWhatIsAvailable() {
        assertThatThrownBy(() -> ReplicaClients.open("gs://b/p", env, List.of(provider("file", null), provider("mem", null))))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("unsupported replica URL scheme: \"gs\"")
                .hasMessageContaining("[file, mem]")
                .hasMessageNotContaining("artifact");
    }

    @Test
    void knownSchemeWithoutItsModuleNamesTheArtifactWithoutLeakingSecrets() {
        assertThatThrownBy(() -> ReplicaClients.open("s3://bucket/db?sse-customer-key=TOPSECRET", env,
                List.of(provider("file", null))))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("dev.ltx4j:replica-s3")
                .hasMessageContaining("[file]")
                .hasMessageNotContaining("TOPSECRET");
        assertThatThrownBy(() -> ReplicaClients.open("abs://acct@container/db", env, List.of()))
                .hasMessageContaining("dev.ltx4j:replica-azure").hasMessageContaining("no replica backends are installed");
        assertThatThrownBy(() -> ReplicaClients.open("file:///x", env, List.of()))
                .hasMessageContaining("dev.ltx4j:replica-file");
    }
}
