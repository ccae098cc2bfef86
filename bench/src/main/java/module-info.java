/** JMH benchmarks. */
module dev.ltx4j.bench {
    requires dev.ltx4j.ltx;
    requires dev.ltx4j.pagestore;
    requires dev.ltx4j.syncer;
    requires dev.ltx4j.replica.file;
    requires jmh.core;
}
