package dev.ltx4j.pagestore.replica;

import dev.ltx4j.pagestore.LocalGeneration;
import java.util.Objects;

/**
 * Where a committed, not yet synced page image lives: the page record at {@code offset} in one write-buffer
 * file {@link LocalGeneration}. A few dozen bytes on the heap whatever the page size.
 */
public record LocalPage(LocalGeneration generation, long offset) implements PageRef {
    public LocalPage {
        Objects.requireNonNull(generation, "generation");
        if (offset < 0) {
            throw new IllegalArgumentException("negative record offset " + offset);
        }
    }
}
