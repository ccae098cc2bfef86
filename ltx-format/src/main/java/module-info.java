/** LTX v3 file format: value types, codec, random access, compaction. */
module dev.ltx4j.ltx {
    requires org.lz4.java;
    exports dev.ltx4j.ltx;
    // Not API: the native CRC-64 accelerator's hook, for the module that installs it and the benchmarks that measure
    // it (docs/crc64-native.md).
    exports dev.ltx4j.ltx.accel to dev.ltx4j.vfs, dev.ltx4j.bench;
}
