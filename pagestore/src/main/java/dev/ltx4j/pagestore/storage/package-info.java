/**
 * The storage the write buffer runs on: {@link dev.ltx4j.pagestore.storage.LogStorage} with a real
 * {@link dev.ltx4j.pagestore.storage.FileLogStorage} and a crash-simulating
 * {@code MemoryLogStorage} (module {@code pagestore-testkit}) for tests and the simulator.
 */
package dev.ltx4j.pagestore.storage;
