package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineOptions;
import io.micrometer.common.util.internal.logging.InternalLoggerFactory;
import io.micrometer.common.util.internal.logging.JdkLoggerFactory;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database closed and opened again, bound again in the same registry (a normal reopen), logs nothing: Micrometer
 * warns once per JVM ("This FunctionTimer has been already registered ..., the registration will be ignored") when
 * a function meter's id is registered twice, which an on-call engineer reads as a lost meter (docs/field-probes.md,
 * round 6 and 7). Micrometer's warning is once per JVM and meter type, so the story runs in a child JVM with
 * Micrometer logging to java.util.logging (stderr); a deliberate duplicate at the end shows the warning would appear.
 */
class RebindWarningTest {
    @Test
    void aRebindAfterAReopenLogsNoAlreadyRegisteredWarning(@TempDir Path tmp) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Reopen.class.getName(), tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("the control duplicate is warned about, so the log reaches us").contains("rebound 3 times")
                .contains("probe.control");
        assertThat(out).as(out).doesNotContain("name='ltx4j.");
    }

    /** The child: open, bind, commit, close, three times under one name in one registry; then the control. */
    public static final class Reopen {
        public static void main(String[] args) throws Exception {
            InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE); // before any meter class loads
            Path tmp = Path.of(args[0]);
            MeterRegistry registry = new SimpleMeterRegistry();
            MemoryLogStorage buffer = new MemoryLogStorage();
            for (int i = 1; i <= 3; i++) {
                try (Database db = Database.open(EngineClientStack.build(
                                new FileReplicaClient(tmp.resolve("replica"), Clock.systemUTC()), 1), "app.db",
                        EngineOptions.builder().writeEnabled(true).durability(Durability.LOCAL)
                                .bufferStorage(buffer, "db.buffer").conflictDirectory(tmp.resolve("conflicts"))
                                .closeTimeout(Duration.ofSeconds(5)).build())) {
                    LtxMetrics.bind(db, "app.db", registry);
                    LtxMetricsTest.commit(db, i);
                    LtxMetricsLifecycleTest.sync(db);
                }
            }
            double syncs = registry.get("ltx4j.sync.duration").tag("database", "app.db").functionTimer().count();
            System.out.println("rebound " + (int) syncs + " times");
            for (int i = 0; i < 2; i++) {
                FunctionTimer.builder("probe.control", registry, r -> 1L, r -> 1.0, TimeUnit.MILLISECONDS)
                        .register(registry);
            }
            System.out.flush();
        }
    }
}
