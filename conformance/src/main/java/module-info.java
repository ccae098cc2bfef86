/** Conformance kit: abstract JUnit 5 tests that a ReplicaClient implementation extends, plus an in-memory reference client. */
module dev.ltx4j.conformance {
    requires transitive dev.ltx4j.replica;
    requires transitive org.junit.jupiter.api;
    requires org.assertj.core;
    exports dev.ltx4j.conformance;
    opens dev.ltx4j.conformance to org.junit.platform.commons;
}
