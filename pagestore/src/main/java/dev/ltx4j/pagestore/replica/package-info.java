/**
 * The read side of a database: immutable page maps ({@link dev.ltx4j.pagestore.replica.DatabaseVersion},
 * {@link dev.ltx4j.pagestore.replica.PageMap}) whose entries point into replica files or into the write buffer,
 * the replica index that builds them from a restore plan, and the verified page reader with its cache.
 */
package dev.ltx4j.pagestore.replica;
