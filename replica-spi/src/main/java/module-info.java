/** The storage contract every replica backend implements, and how backends are found. */
module dev.ltx4j.replica {
    requires transitive dev.ltx4j.ltx;
    requires org.slf4j;
    exports dev.ltx4j.replica;
    exports dev.ltx4j.replica.support;
    uses dev.ltx4j.replica.ReplicaClientProvider;
}
