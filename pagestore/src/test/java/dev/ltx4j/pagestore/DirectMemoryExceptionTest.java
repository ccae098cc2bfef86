package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Only the direct memory limit gets the -XX:MaxDirectMemorySize advice; other OutOfMemoryErrors stay what they are. */
class DirectMemoryExceptionTest {
    // java.nio.Bits.reserveMemory's text on JDK 17 and on JDK 25 (read off both with -XX:MaxDirectMemorySize=1m).
    static final String JDK17 = "Cannot reserve 2097152 bytes of direct buffer memory (allocated: 8192, limit: 1048576)";
    static final String JDK25 = "Cannot reserve 2097152 bytes of direct buffer memory (allocated: 0, limit: 1048576)";

    @Test
    void theDirectLimitIsWrappedWithItsAdvice() {
        for (String text : new String[] {JDK17, JDK25}) {
            OutOfMemoryError oom = new OutOfMemoryError(text);
            DirectMemoryException e = DirectMemoryException.from(oom, "the sync window");
            assertThat(e).hasCause(oom).hasMessageContaining("the sync window").hasMessageContaining(text)
                    .hasMessageContaining("-XX:MaxDirectMemorySize");
        }
    }

    @Test
    void heapExhaustionAndFailedMallocAreRethrownUnchanged() {
        for (String text : new String[] {"Java heap space", "Unable to allocate 1048576 bytes", null}) {
            OutOfMemoryError oom = new OutOfMemoryError(text);
            assertThatThrownBy(() -> DirectMemoryException.from(oom)).isSameAs(oom);
            assertThat(DirectMemoryException.isDirectLimit(oom)).isFalse();
        }
    }
}
