package dev.ltx4j.compaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The kept uploads: bounded in bytes (oldest first), matched by name and size, never served once changed. */
class RecentUploadsTest {

    private static LtxFileInfo l0(long txid, long size) {
        return new LtxFileInfo(0, txid, txid, size, null);
    }

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void keepsTheNewestWithinTheBoundAndMatchesNameAndSize() throws Exception {
        RecentUploads r = new RecentUploads(4000);
        for (int t = 1; t <= 5; t++) {
            r.uploaded(l0(t, 1000), LtxBody.of(bytes(1000, t)));
        }
        assertThat(r.heldFiles()).isEqualTo(4);
        assertThat(r.heldBytes()).isEqualTo(4000);
        assertThat(r.candidate(l0(1, 1000))).as("the oldest went first").isNull();
        assertThat(r.candidate(l0(5, 1000)).data()).isEqualTo(bytes(1000, 5));
        assertThat(r.candidate(l0(5, 999))).as("another size is another file").isNull();
        assertThat(r.candidate(new LtxFileInfo(1, 5, 5, 1000, null))).as("another level").isNull();
        r.forget(l0(5, 1000));
        assertThat(r.candidate(l0(5, 1000))).isNull();
        r.uploaded(l0(9, 1001), LtxBody.of(bytes(1001, 9)));
        assertThat(r.candidate(l0(9, 1001))).as("larger than a quarter of the bound: not kept").isNull();
    }

    @Test
    void bytesChangedInMemoryAreNeverServed() throws Exception {
        RecentUploads r = new RecentUploads(1 << 20);
        r.uploaded(l0(1, 500), LtxBody.of(bytes(500, 1)));
        RecentUploads.Held h = r.candidate(l0(1, 500));
        h.data()[17] ^= 1;
        assertThat(r.candidate(l0(1, 500))).isNull();
        assertThat(r.heldFiles()).isZero();
    }

    @Test
    void theSettingParsesSizes() {
        assertThat(CompactionSettings.defaults().uploadCacheBytes()).isEqualTo(RecentUploads.DEFAULT_MAX_BYTES);
        assertThat(CompactionSettings.parseBytes("x", "16MiB")).isEqualTo(16L << 20);
        assertThat(CompactionSettings.parseBytes("x", "512k")).isEqualTo(512L << 10);
        assertThat(CompactionSettings.parseBytes("x", "1g")).isEqualTo(1L << 30);
        assertThat(CompactionSettings.parseBytes("x", "4096")).isEqualTo(4096);
        assertThat(CompactionSettings.parseBytes("x", "0")).isZero();
        assertThat(CompactionSettings.parseBytes("x", "off")).isZero();
        assertThatThrownBy(() -> CompactionSettings.parseBytes("URI parameter compaction_upload_cache", "lots"))
                .hasMessageContaining("URI parameter compaction_upload_cache").hasMessageContaining("lots");
        assertThat(CompactionSettings.defaults().withUploadCacheBytes(0).withRetention(java.time.Duration.ZERO)
                .uploadCacheBytes()).isZero();
    }
}
