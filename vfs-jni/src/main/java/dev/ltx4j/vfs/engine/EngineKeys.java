package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.BufferPaths;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.vfs.VfsConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which engine an open reaches. The process keeps at most one writer and one follower per replica, keyed by the
 * backend's canonical identity ({@code ReplicaClientProvider.canonicalIdentity}), so two spellings of one replica URL
 * or two local paths never give two writers racing on one replica or two followers polling it:
 * <ul>
 *   <li>read mode joins the replica's follower (one poller; the local name is a logical name, the replica is the
 *       data), or the replica's writer when that was opened under the same local name (as before: the connections of
 *       one database share one state);</li>
 *   <li>write mode joins the replica's writer only when this open names the same write buffer: the same explicit
 *       {@code buffer_path}, or none and the same local name (the default buffer is per replica and name). Another
 *       buffer would be a second writer with its own crash-recovery file: sharing would silently ignore the buffer it
 *       asked for and strand commits in whichever buffer the next restart does not open, so it is refused with both
 *       paths, both buffers and the replica named;</li>
 *   <li>a follower beside the writer (another local name, read mode) stays a separate, read-only engine: it follows
 *       the writer's syncs as a follower in another process would, and never writes. A write open under the very
 *       name a follower of the replica is open under is refused, as before (close those connections first).</li>
 * </ul>
 * An embedder that builds its own client declares its identity ({@code LitestreamVfsBuilder.replica(client,
 * identity)}); it is used as given, which is how tests stage a rival writer inside one process.
 */
final class EngineKeys {
    private EngineKeys() {
    }

    /**
     * The identity the engine derives its default buffer file (and disk cache) name from: the canonical one, so
     * every spelling finds the same buffer after a restart; but a buffer an earlier version left under the URL as
     * spelled (unsynced commits) is still found when no canonical one exists yet.
     */
    static String bufferIdentity(String url, String canonical, String name, EngineSettings settings)
            throws VfsConfigurationException {
        if (url.equals(canonical) || !settings.writeEnabled() || settings.bufferPath().isPresent()) return canonical;
        if (Files.exists(BufferPaths.defaultPath(canonical, name))) return canonical;
        return Files.exists(BufferPaths.defaultPath(url, name)) ? url : canonical;
    }

    private static final String FOLLOWER = "\n(follower)";

    /**
     * The registry key of the engine an open of {@code name} reaches: the replica's writer ({@code identity}) or its
     * follower; see the class comment. Refuses a write open under the name a follower of the replica uses.
     */
    static String roleKey(String identity, String name, boolean write) throws VfsConfigurationException {
        DatabaseRegistry registry = DatabaseRegistry.shared();
        String other = write ? identity + FOLLOWER : identity;
        DatabaseRegistry.Handle h = registry.acquireIfOpen(other);
        boolean sameName = false;
        if (h != null) {
            sameName = h.openedAs().equals(name);
            try {
                h.close();
            } catch (IOException e) {
                // only a peek: the reference is released; closing the engine is its last user's business
            }
        }
        if (!write) return sameName ? identity : identity + FOLLOWER;
        if (sameName) {
            throw new VfsConfigurationException("database " + name + " is already open in this process in read mode"
                    + " (replica " + ReplicaUrl.redact(identity) + "); close those connections before opening it with"
                    + " write_enabled");
        }
        return identity;
    }

    /** Checks that an open of {@code name} may join {@code running}, the engine of its replica; throws if not. */
    static void checkJoin(Database running, String identity, String name, EngineSettings settings)
            throws IOException {
        boolean write = settings.writeEnabled();
        String replica = ReplicaUrl.redact(identity);
        String openedAs = running.name();
        if (write && !running.isWriteMode()) {
            throw new VfsConfigurationException("database " + name + ": replica " + replica + " is already open in"
                    + " this process in read mode" + (openedAs.equals(name) ? "" : " (as database " + openedAs + ")")
                    + "; close those connections before opening it with write_enabled");
        }
        if (!write || !running.isWriteMode()) return;
        Optional<Path> asked = settings.bufferPath();
        String buffer = running.status().bufferPath();
        boolean same = asked.isPresent() ? buffer != null && samePath(asked.get(), Path.of(buffer))
                : openedAs.equals(name);
        if (same) return;
        String mine = asked.map(p -> "write buffer " + p).orElse("its own default write buffer");
        if (openedAs.equals(name)) {
            throw new VfsConfigurationException("database " + name + ": replica " + replica + " is already open for"
                    + " writing in this process with write buffer " + buffer + "; this open asks for " + mine
                    + ". One replica has one writer per process: give every open of it the same buffer_path"
                    + " (LITESTREAM_BUFFER_PATH), or none");
        }
        throw new VfsConfigurationException("database " + name + ": replica " + replica + " is already open for"
                + " writing in this process as database " + openedAs + " (write buffer " + buffer + "); opening it as "
                + name + " with " + mine + " would start a second writer on the same replica, whose syncs would"
                + " conflict with the first. Open it under one path (" + openedAs + "), or give both the same"
                + " buffer_path (LITESTREAM_BUFFER_PATH) to share one writer; two different databases need two replica"
                + " URLs");
    }

    /** Same file: equal once the directories' symbolic links are resolved (the file itself may not exist yet). */
    private static boolean samePath(Path a, Path b) {
        return real(a).equals(real(b));
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        try {
            return dir == null ? abs : dir.toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            return abs;
        }
    }
}
