package dev.ltx4j.vfs.engine;

import dev.ltx4j.syncer.HydrationOptions;
import dev.ltx4j.vfs.VfsConfigurationException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The hydration and disk cache settings of one open (docs/hydration.md); see {@link EngineSettings}. */
final class LocalCopySettings {
    /** URI parameter → environment variable. */
    static final Map<String, String> VARIABLES = Map.of(
            "hydration", "LITESTREAM_HYDRATION",
            "hydration_path", "LITESTREAM_HYDRATION_PATH",
            "disk_cache_size", "LITESTREAM_DISK_CACHE_SIZE",
            "disk_cache_path", "LITESTREAM_DISK_CACHE_PATH");

    /** Looks up a setting by URI parameter name; says where a value came from. */
    interface Values {
        Optional<String> value(String parameter);

        String source(String parameter);
    }

    private LocalCopySettings() {}

    static HydrationOptions read(Values v, EngineSizes sizes) throws VfsConfigurationException {
        boolean hydration = false;
        Optional<String> h = v.value("hydration");
        if (h.isEmpty()) {
            // the reference's name, LITESTREAM_HYDRATION_ENABLED / hydration_enabled, is accepted too
            h = v.value("hydration_enabled");
        }
        if (h.isPresent()) {
            switch (h.get().toLowerCase(Locale.ROOT)) {
                case "on": case "true": case "1": case "yes": hydration = true; break;
                case "off": case "false": case "0": case "no": hydration = false; break;
                default: throw new VfsConfigurationException(v.source("hydration") + " must be on or off, not '"
                        + h.get() + "'");
            }
        }
        Path path = path(v, "hydration_path", false);
        long cache = 0;
        if (v.value("disk_cache_size").isPresent()) {
            cache = sizes.size("disk_cache_size");
        }
        Path cacheDir = path(v, "disk_cache_path", true);
        return new HydrationOptions(hydration, path, cache, cacheDir);
    }

    /** Parses a size setting (same syntax as cache_size). */
    @FunctionalInterface
    interface EngineSizes {
        long size(String parameter) throws VfsConfigurationException;
    }

    private static Path path(Values v, String parameter, boolean directory) throws VfsConfigurationException {
        Optional<String> s = v.value(parameter);
        if (s.isEmpty()) {
            return null;
        }
        Path p;
        try {
            p = Path.of(s.get()).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw new VfsConfigurationException(v.source(parameter) + " is not a valid path: '" + s.get() + "'");
        }
        if (!directory && Files.isDirectory(p)) {
            throw new VfsConfigurationException(v.source(parameter) + " " + p + " is a directory; it must name the"
                    + " hydrated database file, e.g. " + p.resolve("app.hydrated.db"));
        }
        if (directory && Files.exists(p) && !Files.isDirectory(p)) {
            throw new VfsConfigurationException(v.source(parameter) + " " + p + " is not a directory");
        }
        Path dir = directory ? p : p.getParent();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new VfsConfigurationException(v.source(parameter) + " " + p + ": directory " + dir
                    + " cannot be created or written");
        }
        return p;
    }
}
