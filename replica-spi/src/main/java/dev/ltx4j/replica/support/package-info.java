/**
 * Helpers for backend implementations that must match Litestream byte for byte: Go's path cleaning (object keys) and
 * the metadata timestamp format; and the argument checks that every backend makes alike. Third-party backends may
 * use them too.
 */
package dev.ltx4j.replica.support;
