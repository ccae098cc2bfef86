package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What a damaged page index or a short range read says (review of field probes round 5): a truncated field inside
 * the index region does not claim the file ends there (the region's offsets are not the file's), and a store's
 * short read of the index region is told as that, as the tail's short read is, not as a file cut short.
 */
class PageIndexRegionErrorsTest {
    private static final long FILE_SIZE = 5_000_000;

    /** The file's last {@link PageIndex#TAIL_READ} bytes with an index size field of {@code indexSize}. */
    private static byte[] tail(long indexSize, byte fill) {
        byte[] tail = new byte[PageIndex.TAIL_READ];
        Arrays.fill(tail, fill);
        int at = tail.length - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD;
        for (int i = 0; i < 8; i++) {
            tail[at + i] = (byte) (indexSize >>> (56 - 8 * i));
        }
        return tail;
    }

    @Test
    void aFieldCutShortInsideTheIndexDoesNotClaimTheFileEndsThere() {
        byte[] tail = tail(5, (byte) 0xFF); // a varint that runs past the 5-byte index
        assertThatThrownBy(() -> PageIndex.read((off, len) -> tail, FILE_SIZE, "x.ltx"))
                .isInstanceOf(LtxFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("the file is " + FILE_SIZE + " bytes")
                        .contains("runs past that part's end").doesNotContain("the file ends at byte"));
    }

    @Test
    void aShortRangeReadOfTheIndexIsTheStoresNotACutFile() {
        int indexSize = PageIndex.TAIL_READ + 1000; // more than the tail: a second range read
        byte[] tail = tail(indexSize, (byte) 0);
        // A last entry consistent with the size field (PageIndex cross-checks them before the second read).
        long offset = FILE_SIZE - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD - 6 - indexSize - 36;
        int at = tail.length - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD - 1 - 1 - 4 - 1; // pgno, offset, size, 0x00
        tail[at] = 1;
        for (int i = 0; i < 4; i++) {
            tail[at + 1 + i] = (byte) ((offset >>> (7 * i)) & 0x7F | (i < 3 ? 0x80 : 0));
        }
        tail[at + 5] = 36;
        assertThatThrownBy(() -> PageIndex.read((off, len) -> len == PageIndex.TAIL_READ ? tail : new byte[100],
                FILE_SIZE, "x.ltx"))
                .isInstanceOf(LtxFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("returned 100 bytes, expected "
                        + (indexSize + Ltx.INDEX_SIZE_FIELD + Ltx.TRAILER_SIZE)).doesNotContain("cut short"));
    }
}
