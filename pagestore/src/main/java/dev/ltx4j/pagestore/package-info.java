/**
 * The crash-safe local write buffer of write mode: {@link dev.ltx4j.pagestore.WriteBuffer} (open, begin/commit
 * page-level transactions, read pages, snapshot for the syncer, markSynced), its options, recovery report and
 * typed errors.
 */
package dev.ltx4j.pagestore;
