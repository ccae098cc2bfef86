package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Direct memory idle in the pool does not make an allocation fail at the limit: a JVM with
 * {@code -XX:MaxDirectMemorySize=8m} whose pool holds 6 MiB idle still gets a new 4 MiB buffer (before: the pool
 * kept its 6 MiB and the take failed with "direct memory limit is used up").
 */
class DirectBufferPoolPressureTest {
    @Test
    void idleBuffersAreDroppedWhenTheLimitIsHit() throws Exception {
        List<String> cp = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:MaxDirectMemorySize=8m", "-cp", String.join(File.pathSeparator, cp), Child.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).contains("idle 6291456", "took 4194304").doesNotContain("Exception");
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** The child: fill the pool with 6 MiB, then ask for 4 MiB under an 8 MiB limit. */
    public static final class Child {
        public static void main(String[] args) {
            List<ByteBuffer> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(DirectBufferPool.take(2 << 20, "a rewrite copy"));
            }
            held.forEach(DirectBufferPool::give);
            held.clear();
            System.out.println("idle " + DirectBufferPool.idleBytes());
            ByteBuffer b = DirectBufferPool.take(4 << 20, "a new database's staging");
            System.out.println("took " + b.capacity());
        }
    }
}
