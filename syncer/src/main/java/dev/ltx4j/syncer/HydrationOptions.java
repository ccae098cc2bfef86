package dev.ltx4j.syncer;

import java.nio.file.Path;

/**
 * Local copies of replica pages a database keeps (docs/hydration.md): a hydrated full copy, or else an on-disk page
 * cache bounded in bytes. Both are off by default.
 *
 * @param hydration      keep a full local copy and serve reads from it ({@code LITESTREAM_HYDRATION})
 * @param path           the hydrated file; null: {@code <buffer>.hydrated} next to the write buffer
 *                       ({@code LITESTREAM_HYDRATION_PATH})
 * @param diskCacheBytes without hydration, the on-disk page cache's bound in bytes; 0: no disk cache
 *                       ({@code disk_cache_size})
 * @param diskCachePath  the disk cache's directory; null: {@code <buffer>.cache/} ({@code disk_cache_path})
 */
public record HydrationOptions(boolean hydration, Path path, long diskCacheBytes, Path diskCachePath) {
    /** Neither hydration nor a disk cache. */
    public static final HydrationOptions OFF = new HydrationOptions(false, null, 0, null);

    public HydrationOptions {
        if (diskCacheBytes < 0) {
            throw new IllegalArgumentException("disk_cache_size must not be negative: " + diskCacheBytes);
        }
    }

    /** Hydration on, at {@code path} (null: the default next to the buffer). */
    public static HydrationOptions hydrated(Path path) {
        return new HydrationOptions(true, path, 0, null);
    }

    /** A disk cache of {@code bytes} in {@code dir} (null: the default next to the buffer). */
    public static HydrationOptions diskCache(long bytes, Path dir) {
        return new HydrationOptions(false, null, bytes, dir);
    }
}
