/**
 * JMH benchmarks. Open so JMH can reflect into benchmark states; the generated harness package is exported
 * so the runner (on the class path in the shaded jar, or on the module path) can load it.
 */
open module dev.ltx4j.bench {
    requires dev.ltx4j.ltx;
    requires dev.ltx4j.pagestore;
    requires dev.ltx4j.syncer;
    requires dev.ltx4j.replica.file;
    requires jmh.core;
    requires dev.ltx4j.compaction;
    requires software.amazon.awssdk.services.s3;
    requires org.lz4.java;
    requires java.management;
    requires java.sql;
    requires dev.ltx4j.vfs;
    requires com.azure.storage.blob;

    exports dev.ltx4j.bench;
    exports dev.ltx4j.bench.jmh_generated;
}
