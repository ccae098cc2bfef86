package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Components ride along with the variables: added by type, replaced by type, kept through orElse. */
class ReplicaEnvironmentTest {
    interface Hook {}

    @Test
    void componentsAreFoundByTypeAndSurviveOrElse() {
        Hook first = new Hook() {};
        Hook second = new Hook() {};
        ReplicaEnvironment base = ReplicaEnvironment.of(Map.of("A", "1"));
        assertThat(base.component(Hook.class)).isEmpty();
        ReplicaEnvironment withHook = base.with(Hook.class, first);
        assertThat(withHook.component(Hook.class)).containsSame(first);
        assertThat(withHook.component(String.class)).isEmpty();
        assertThat(withHook.get("A")).hasValue("1");
        assertThat(withHook.with(Hook.class, second).component(Hook.class)).containsSame(second);
        ReplicaEnvironment chained = ReplicaEnvironment.of(Map.of("B", "2")).orElse(withHook);
        assertThat(chained.component(Hook.class)).containsSame(first);
        assertThat(chained.get("A")).hasValue("1");
        assertThat(chained.get("B")).hasValue("2");
    }
}
