package dev.ltx4j.pagestore;

/** A page number with its bytes (owned by the receiver). */
public record PageImage(long pgno, byte[] data) {}
