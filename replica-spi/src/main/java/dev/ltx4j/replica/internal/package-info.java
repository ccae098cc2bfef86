/**
 * Not API: helpers shared by ltx4j's own modules (exported only to compaction, syncer, cli, pagestore and the file
 * backend); may change in any release.
 */
package dev.ltx4j.replica.internal;
