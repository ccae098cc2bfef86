/** The ltx4j command-line tool. */
module dev.ltx4j.cli {
    requires dev.ltx4j.replica;
    requires dev.ltx4j.compaction;
    requires dev.ltx4j.replica.file;
    requires dev.ltx4j.syncer;
    requires dev.ltx4j.vfs;
    requires dev.ltx4j.simulator;
    requires info.picocli;
    requires java.sql;
    requires jdk.management; // bench reads: thread and process CPU time
    opens dev.ltx4j.cli to info.picocli;
}
