package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SqliteHeaderTest {
    private static byte[] header(int field) {
        byte[] b = new byte[SqliteHeader.SIZE + 3];
        System.arraycopy("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), 0, b, 3, 16);
        b[3 + 16] = (byte) (field >>> 8);
        b[3 + 17] = (byte) field;
        return b;
    }

    @Test
    void readsTheMagicAndThePageSizeAtAnOffset() {
        byte[] b = header(4096);
        assertThat(SqliteHeader.hasMagic(b, 3)).isTrue();
        assertThat(SqliteHeader.hasMagic(b, 0)).isFalse();
        assertThat(SqliteHeader.declaredPageSize(b, 3)).isEqualTo(4096);
    }

    @Test
    void oneMeans65536AndOtherValuesAreReturnedForTheCallerToCheck() {
        assertThat(SqliteHeader.declaredPageSize(header(1), 3)).isEqualTo(65536);
        assertThat(Ltx.isValidPageSize(SqliteHeader.declaredPageSize(header(1), 3))).isTrue();
        assertThat(SqliteHeader.declaredPageSize(header(512), 3)).isEqualTo(512);
        assertThat(Ltx.isValidPageSize(SqliteHeader.declaredPageSize(header(0), 3))).isFalse();
        assertThat(Ltx.isValidPageSize(SqliteHeader.declaredPageSize(header(1000), 3))).isFalse();
        assertThat(Ltx.isValidPageSize(SqliteHeader.declaredPageSize(header(256), 3))).isFalse();
    }

    @Test
    void aBufferTooShortForTheMagicHasNone() {
        assertThat(SqliteHeader.hasMagic(new byte[10], 0)).isFalse();
        assertThat(SqliteHeader.hasMagic(header(4096), SqliteHeader.SIZE)).isFalse();
    }
}
