package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.PageReader;

/**
 * A pinned version and the buffer generation reference that keeps its local pages readable (see
 * docs/engine-invariants.md I9). Taken by {@link PublishedVersions#pin()} under its state lock.
 */
final class Pin {
    final DatabaseVersion version;
    final PageReader reader;
    final long lineage;
    private LocalGeneration gen;

    Pin(DatabaseVersion version, LocalGeneration gen, PageReader reader, long lineage) {
        this.version = version;
        this.gen = gen;
        this.reader = reader;
        this.lineage = lineage;
    }

    void release() {
        LocalGeneration g = gen;
        gen = null;
        if (g != null) {
            g.release();
        }
    }
}
