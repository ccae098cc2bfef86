package dev.ltx4j.pagestore.replica;

/**
 * Where a page's bytes are, as a {@link PageMap} entry: a frame in a replica file ({@link RemotePage}) or a
 * committed, not yet synced record in the write buffer ({@link LocalPage}). Callers branch on the two kinds with
 * {@code instanceof} patterns (a pattern {@code switch} needs Java 21; the project targets 17).
 */
public sealed interface PageRef permits LocalPage, RemotePage {}
