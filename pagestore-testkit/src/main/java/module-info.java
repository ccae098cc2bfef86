/** Test fixture: {@code MemoryLogStorage}, write-buffer storage with a crash model, for tests and the simulator. */
module dev.ltx4j.pagestore.testkit {
    requires transitive dev.ltx4j.pagestore;

    exports dev.ltx4j.pagestore.testkit;
}
