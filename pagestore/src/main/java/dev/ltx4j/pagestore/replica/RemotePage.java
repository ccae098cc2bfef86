package dev.ltx4j.pagestore.replica;

/**
 * Where a page's frame lives in the replica: file, absolute frame offset and frame size. Immutable, so it is also
 * the page cache key (equal locations hold equal bytes forever).
 */
public record RemotePage(RemoteFile file, long offset, int size) implements PageRef {}
