package dev.ltx4j.pagestore.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.StorageLockedException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage.CrashPolicy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MemoryLogStorageTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void forcedDataSurvivesAndUnforcedDataIsLostOnPowerLoss() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        try (LogFile f = s.create("a")) {
            f.write(0, bytes("durable"));
            f.force();
            s.syncDirectory();
            f.write(7, bytes("-lost"));
            assertThat(text(s.contents("a"))).isEqualTo("durable-lost");
        }
        s.crash(CrashPolicy.loseAllUnforced());
        assertThat(text(s.contents("a"))).isEqualTo("durable");
    }

    @Test
    void crashCanKeepASubsetOfWritesAndTearTheLastKeptOne() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        LogFile f = s.create("a");
        s.syncDirectory();
        f.write(0, bytes("AAAA"));
        f.write(4, bytes("BBBB"));
        f.write(8, bytes("CCCC"));
        s.crash(new CrashPolicy() {
            @Override
            public int keptDirectoryOperations(int pending) {
                return pending;
            }

            @Override
            public boolean keepWrite(String fileName, int index, int pending) {
                return index != 1; // the middle write is lost, the later one survives
            }

            @Override
            public int tornLength(String fileName, int length) {
                return 2;
            }
        });
        byte[] c = s.contents("a");
        assertThat(c).hasSize(10);
        assertThat(text(c).substring(0, 4)).isEqualTo("AAAA");
        assertThat(c[4]).isZero(); // hole left by the lost write
        assertThat(text(c).substring(8)).isEqualTo("CC");
        assertThatThrownBy(() -> f.size()).hasMessageContaining("did not survive");
    }

    @Test
    void unsyncedRenameAndCreateCanBeLost() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        try (LogFile f = s.create("old")) {
            f.write(0, bytes("old"));
            f.force();
        }
        s.syncDirectory();
        try (LogFile f = s.create("new")) {
            f.write(0, bytes("new"));
            f.force();
        }
        s.replace("new", "old");
        assertThat(text(s.contents("old"))).isEqualTo("new");
        s.crash(CrashPolicy.loseAllUnforced());
        assertThat(text(s.contents("old"))).isEqualTo("old");
        assertThat(s.exists("new")).isFalse();
    }

    @Test
    void truncateIsPendingUntilForced() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        LogFile f = s.create("a");
        s.syncDirectory();
        f.write(0, bytes("123456"));
        f.force();
        f.truncate(2);
        assertThat(f.size()).isEqualTo(2);
        s.crash(CrashPolicy.loseAllUnforced());
        assertThat(text(s.contents("a"))).isEqualTo("123456");
    }

    @Test
    void budgetAndFaultsMakeOperationsFail() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        LogFile f = s.create("a");
        s.setOperationBudget(1);
        f.write(0, bytes("x"));
        assertThatThrownBy(() -> f.write(1, bytes("y"))).hasMessageContaining("simulated crash");
        s.crash(CrashPolicy.keepAll());
        LogFile g = s.open("a");
        s.setFaults((op, name) -> op == MemoryLogStorage.Operation.FORCE);
        assertThatThrownBy(g::force).hasMessageContaining("injected fault: FORCE of a");
        assertThat(s.mutationCount()).isEqualTo(4);
    }

    @Test
    void locksAreExclusiveUntilClosedOrCrashed() throws Exception {
        MemoryLogStorage s = new MemoryLogStorage();
        LogStorage.StorageLock lock = s.lock("l");
        assertThatThrownBy(() -> s.lock("l")).isInstanceOf(StorageLockedException.class);
        lock.close();
        s.lock("l");
        s.crash(CrashPolicy.keepAll());
        s.lock("l").close();
    }
}
