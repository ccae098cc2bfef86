package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code ltx4j.vfs.nativeCacheSize} is read by the one size parser: its spellings, and the default for a non-size. */
class PageViewSizeTest {
    private static long with(String value) {
        String before = System.getProperty(NativeBridge.PAGE_VIEW_PROPERTY);
        System.setProperty(NativeBridge.PAGE_VIEW_PROPERTY, value);
        try {
            return NativeBridge.pageViewBytes();
        } finally {
            if (before == null) {
                System.clearProperty(NativeBridge.PAGE_VIEW_PROPERTY);
            } else {
                System.setProperty(NativeBridge.PAGE_VIEW_PROPERTY, before);
            }
        }
    }

    @Test
    void theNativeCacheSizeTakesTheSameSpellingsAsEveryOtherSize() throws Exception {
        dev.ltx4j.vfs.LitestreamVfs.load(); // a refused value is logged through SQLite's log
        assertThat(with("16MiB")).isEqualTo(16L << 20);
        assertThat(with("64 kb")).isEqualTo(64L << 10);
        assertThat(with("0")).isZero();
        // Not sizes anywhere else: the default (the old parser took "8ib" for 8 bytes and "1 gi" for 1 GiB).
        assertThat(with("8ib")).isEqualTo(NativeBridge.DEFAULT_PAGE_VIEW_BYTES);
        assertThat(with("1 gi")).isEqualTo(NativeBridge.DEFAULT_PAGE_VIEW_BYTES);
        assertThat(with("lots")).isEqualTo(NativeBridge.DEFAULT_PAGE_VIEW_BYTES);
    }
}
