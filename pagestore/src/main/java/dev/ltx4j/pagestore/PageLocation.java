package dev.ltx4j.pagestore;

/** Where the buffer file holds a page image: {@code offset} is the start of its record. */
public record PageLocation(long pgno, long offset) {}
