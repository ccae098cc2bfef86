/** Conformance kit: abstract JUnit 5 tests that a ReplicaClient implementation extends. */
module dev.ltx4j.conformance {
    requires transitive dev.ltx4j.replica;
    requires transitive org.junit.jupiter.api;
    requires org.assertj.core;
}
