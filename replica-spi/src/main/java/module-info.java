/** The storage contract every replica backend implements, and how backends are found. */
module dev.ltx4j.replica {
    requires transitive dev.ltx4j.ltx;
    requires org.slf4j;
    exports dev.ltx4j.replica;
    exports dev.ltx4j.replica.support;
    // Shared helpers of the modules above, not API.
    exports dev.ltx4j.replica.internal to dev.ltx4j.compaction, dev.ltx4j.syncer, dev.ltx4j.cli, dev.ltx4j.pagestore,
            dev.ltx4j.simulator,
            dev.ltx4j.replica.file, dev.ltx4j.vfs;
    uses dev.ltx4j.replica.ReplicaClientProvider;
}
