package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.VfsConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The settings of an open that joins the engine already running for its replica. One replica has one engine per
 * process, which keeps the settings of its first open; a later open asking for something else must not silently get
 * less than it asked for:
 * <ul>
 *   <li>a write open asking for a stronger durability than the writer's ({@code none < local < remote}) is refused,
 *       naming both values and the replica: its commits would return before they are as safe as it was told;</li>
 *   <li>a read-mode open that joins the writer (same local path) gets a read-only connection, as it asked
 *       ({@link #readOnlyReason});</li>
 *   <li>every other difference (sync and poll intervals, poll back-off, cache size, buffer recovery, compaction,
 *       hydration, a weaker durability) costs no guarantee: it is logged once per engine and setting at warn, and the
 *       engine keeps its first open's value.</li>
 * </ul>
 */
final class JoinedSettings {
    private static final Logger LOG = LoggerFactory.getLogger(EngineConnector.class);
    /** What was already warned about, per running engine. */
    private static final Map<Database, Set<String>> WARNED = Collections.synchronizedMap(new WeakHashMap<>());

    private JoinedSettings() {
    }

    /**
     * Checks an open of {@code name} with {@code asked} against {@code running}, the engine it joins; refuses a
     * stronger durability and warns once about every other setting the engine will not use.
     */
    static void check(Database running, String identity, String name, EngineSettings settings, EngineOptions asked)
            throws VfsConfigurationException {
        EngineOptions first = running.options();
        String replica = ReplicaUrl.redact(identity);
        String as = running.name().equals(name) ? "" : " (as database " + running.name() + ")";
        boolean writer = running.isWriteMode();
        if (writer && asked.writeEnabled() && rank(asked.durability()) > rank(first.durability())) {
            throw new VfsConfigurationException("database " + name + ": replica " + replica + " is already open for"
                    + " writing in this process" + as + " with durability=" + config(first.durability())
                    + "; this open asks for durability=" + config(asked.durability()) + " ("
                    + settings.sourceOf("durability") + "), which that writer does not give: its commits return once "
                    + promise(first.durability()) + ", not once " + promise(asked.durability()) + ". One replica has"
                    + " one writer per process, with the settings of its first open: give every open of it the same"
                    + " durability (LITESTREAM_DURABILITY), or close the other connections first");
        }
        StringBuilder ignored = new StringBuilder();
        if (writer) {
            differs(ignored, running, settings, "durability", config(first.durability()),
                    config(asked.durability()), asked.writeEnabled());
            differs(ignored, running, settings, "sync_interval", format(first.syncInterval()),
                    format(asked.syncInterval()), asked.writeEnabled());
            differs(ignored, running, settings, "buffer_recovery", first.bufferRecovery().configName(),
                    asked.bufferRecovery().configName(), asked.writeEnabled());
            differs(ignored, running, settings, "compaction", String.valueOf(first.compaction()),
                    String.valueOf(asked.compaction()), asked.writeEnabled());
        } else {
            differs(ignored, running, settings, "poll_interval", format(first.pollInterval()),
                    format(asked.pollInterval()), true);
            differs(ignored, running, settings, "poll_backoff", String.valueOf(first.pollBackoff()),
                    String.valueOf(asked.pollBackoff()), true);
        }
        differs(ignored, running, settings, "cache_size", String.valueOf(first.cacheBytes()),
                String.valueOf(asked.cacheBytes()), true);
        differs(ignored, running, settings, "hydration", String.valueOf(first.hydration()),
                String.valueOf(asked.hydration()), true);
        if (ignored.length() > 0) {
            LOG.warn("database {}: replica {} is already open in this process{}; this open's {} not used: one replica"
                    + " has one engine per process, which keeps the settings of its first open (give every open of it"
                    + " the same settings, or close the other connections first)", name, replica, as, ignored);
        }
    }

    /**
     * Why a connection of a read-mode open that joined the replica's writer must not write, or null when it may: it
     * shares the writer's state (it reads the writer's commits at once) but was not asked to write.
     */
    static String readOnlyReason(Database running, String name, EngineSettings settings)
            throws VfsConfigurationException {
        if (!running.isWriteMode() || settings.writeEnabled()) return null;
        return "attempt to write a readonly database: database " + name + " was opened in read mode ("
                + (settings.readOnlyOpen() ? "a read-only open" : settings.sourceOf("write_enabled") + " is not true")
                + ") beside its writer in this process; this"
                + " connection reads the writer's commits but cannot write. Open it with write_enabled=true"
                + " (LITESTREAM_WRITE_ENABLED) to write";
    }

    private static void differs(StringBuilder out, Database running, EngineSettings settings, String setting,
            String first, String asked, boolean relevant) {
        if (!relevant || Objects.equals(first, asked)) return;
        Set<String> seen = WARNED.computeIfAbsent(running, d -> Collections.synchronizedSet(new HashSet<>()));
        if (!seen.add(setting + "=" + asked)) return; // once per engine, setting and value
        if (out.length() > 0) out.append(", ");
        out.append(setting).append('=').append(asked).append(" (").append(settings.sourceOf(setting))
                .append("; the engine uses ").append(first).append(')');
    }

    private static int rank(Durability d) {
        return switch (d) {
            case NONE -> 0;
            case LOCAL -> 1;
            case REMOTE -> 2;
        };
    }

    private static String config(Durability d) {
        return d.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String promise(Durability d) {
        return switch (d) {
            case NONE -> "written to the write buffer without fsync";
            case LOCAL -> "fsynced to the local write buffer";
            case REMOTE -> "acknowledged by the replica";
        };
    }

    /** A duration as the settings are written ({@code 100ms}, {@code 1s}, {@code 5m}, {@code 1h}). */
    static String format(Duration d) {
        if (d == null) return "none";
        long ms = d.toMillis();
        if (ms % 1000 != 0 || ms == 0) return d.toNanos() % 1_000_000 == 0 ? ms + "ms" : d.toNanos() + "ns";
        long s = ms / 1000;
        if (s % 60 != 0) return s + "s";
        return s % 3600 != 0 ? s / 60 + "m" : s / 3600 + "h";
    }
}
