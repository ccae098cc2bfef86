/** LTX v3 file format: value types, codec, random access, compaction. */
module dev.ltx4j.ltx {
    requires org.lz4.java;
    exports dev.ltx4j.ltx;
}
