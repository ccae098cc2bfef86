package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.vfs.engine.EngineSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every size setting goes through one parser: the same spellings, and one error format naming the setting (where it
 * came from) and the offending value; a size beyond a long is refused, never wrapped around.
 */
class SizeSettingsTest {
    private static EngineSettings settings(Map<String, String> uri, Map<String, String> configured) {
        return new EngineSettings(new OpenOptions(OpenOptions.SQLITE_OPEN_READWRITE, uri, Map.of()), configured);
    }

    @Test
    void theEngineSizesNameTheSettingAndTheValue() throws Exception {
        assertThat(settings(Map.of("cache_size", "64 KiB"), Map.of()).cacheBytes()).isEqualTo(64L << 10);
        assertThatThrownBy(() -> settings(Map.of("cache_size", "lots"), Map.of()).cacheBytes())
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageStartingWith("URI parameter cache_size is not a size: 'lots'");
        // Beyond a long: refused (the old parser wrapped 2^34 GiB around to 0, or threw a bare NumberFormatException).
        assertThatThrownBy(() -> settings(Map.of(), Map.of("cache_size", "17179869184g")).cacheBytes())
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageStartingWith("VFS setting cache_size is too large: '17179869184g'");
        assertThatThrownBy(() -> settings(Map.of("cache_size", "99999999999999999999"), Map.of()).cacheBytes())
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageStartingWith("URI parameter cache_size is too large: '99999999999999999999'");
    }

    @Test
    void theCompactionCacheSizeUsesTheSameParserAndFormat() throws Exception {
        assertThat(CompactionSettings.parseBytes("x", "64 KiB")).isEqualTo(64L << 10);
        assertThat(settings(Map.of("compaction_upload_cache", "off"), Map.of()).compaction().uploadCacheBytes())
                .isZero();
        assertThatThrownBy(() -> settings(Map.of("compaction_upload_cache", "lots"), Map.of()).compaction())
                .isInstanceOf(VfsConfigurationException.class)
                .hasMessageStartingWith("URI parameter compaction_upload_cache is not a size: 'lots'");
    }
}
