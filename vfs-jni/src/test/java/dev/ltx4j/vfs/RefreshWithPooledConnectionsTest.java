package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refresh after a conflict replaces the content under every connection of the process without any SQLite lock
 * (found by the simulator's sql scenario): the other pooled connections must neither keep reading the dropped
 * state from their page cache (the dropped state and the replica's can have the same change counter), nor write
 * a transaction whose reads came from before the refresh.
 */
class RefreshWithPooledConnectionsTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws Exception {
        String replica = dir.resolve("replica").toUri().toString();
        return (name.equals("pool-winner") ? Replicas.rival(replica, name) : LitestreamVfs.builder().replica(replica))
                .writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve(name + "-buffer")).register(name);
    }

    @Test
    void otherConnectionsSeeTheRefreshedStateAndCannotWriteOnWhatTheyReadBefore() throws Exception {
        LitestreamVfs.Registration loser = writer("pool-loser");
        LitestreamVfs.Registration winner = writer("pool-winner");
        try (Connection a = DriverManager.getConnection(loser.jdbcUrl(dir.resolve("loser.db")));
                Connection b = DriverManager.getConnection(loser.jdbcUrl(dir.resolve("loser.db")));
                Connection reader = DriverManager.getConnection(loser.jdbcUrl(dir.resolve("loser.db")))) {
            exec(a, "create table t(id integer primary key, v text)", "insert into t(v) values ('base')");
            text(a, "select litestream_sync()");
            try (Connection w = DriverManager.getConnection(winner.jdbcUrl(dir.resolve("winner.db")))) {
                exec(w, "insert into t(v) values ('winner')"); // same change counter and size as the loser's
                text(w, "select litestream_sync()");
            }
            exec(a, "insert into t(v) values ('loser')");
            assertThat(text(b, "select group_concat(v, ',') from t")).isEqualTo("base,loser"); // cached by b
            reader.setAutoCommit(false);
            assertThat(text(reader, "select group_concat(v, ',') from t")).isEqualTo("base,loser"); // read tx open

            assertThatThrownBy(() -> text(a, "select litestream_sync()")).hasMessageContaining("conflict");
            text(a, "pragma litestream_refresh");

            assertThat(text(a, "select group_concat(v, ',') from t")).isEqualTo("base,winner");
            assertThat(text(b, "select group_concat(v, ',') from t")).isEqualTo("base,winner");
            // The open read transaction keeps its snapshot, but writing on it would mix the two states.
            exec(reader, "insert into t(v) values ('stale')");
            assertThatThrownBy(reader::commit).isInstanceOf(SQLException.class).hasMessageContaining("BUSY_SNAPSHOT");
            // SQLite rolled the refused transaction back.
            exec(b, "insert into t(v) values ('after')");
            assertThat(text(a, "select group_concat(v, ',') from t")).isEqualTo("base,winner,after");
            assertThat(text(a, "pragma integrity_check")).isEqualTo("ok");
        }
    }
}
