/*
 * vfshost.c - a small SQLite host for the memory check of litestreamvfs.c (NativeMemoryCheckTest builds both
 * with AddressSanitizer when gcc has it). It loads the extension (which boots a JVM), then exercises what
 * sqlite3 sessions do (open, write, read, pragmas, functions, close), what they never do (reads larger than
 * the shim's initial scratch buffer, so the buffer grows, also while Java refuses the new buffer), and
 * refused opens. Prints "ok" and exits 0 when every check held.
 *   usage: vfshost <litestream-vfs.so> <work dir> <replica url>
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    CHECK(rc == SQLITE_OK, "%s -> %d %s", sql, rc, err ? err : "");
    sqlite3_free(err);
}

static char *text(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    CHECK(rc == SQLITE_OK, "prepare %s -> %s", sql, sqlite3_errmsg(db));
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static sqlite3 *open_db(const char *uri, int *rcOut) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rcOut) *rcOut = rc;
    if (rc != SQLITE_OK) { sqlite3_close(db); return NULL; }
    return db;
}

/* Reads `amount` bytes at offset 0 straight through the VFS file (SQLite itself never reads more than a page). */
static int raw_read(sqlite3 *db, int amount, sqlite3_int64 offset, unsigned char **out) {
    sqlite3_file *fp = NULL;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &fp);
    CHECK(rc == SQLITE_OK && fp != NULL, "file pointer");
    if (fp == NULL) return SQLITE_ERROR;
    *out = calloc(1, (size_t)amount);
    exec(db, "begin"); /* a read transaction pins a version for the raw reads */
    text(db, "select count(*) from sqlite_schema");
    rc = fp->pMethods->xRead(fp, *out, amount, offset);
    exec(db, "commit");
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: vfshost <so> <dir> <replica url>\n"); return 2; }
    const char *so = argv[1], *dir = argv[2], *replica = argv[3];
    sqlite3 *boot = NULL;
    sqlite3_open(":memory:", &boot);
    sqlite3_enable_load_extension(boot, 1);
    char *err = NULL;
    int rc = sqlite3_load_extension(boot, so, "sqlite3_litestreamvfs_init", &err);
    CHECK(rc == SQLITE_OK, "load: %s", err ? err : "");
    sqlite3_free(err);
    if (rc != SQLITE_OK) return 1;

    char uri[4096];
    snprintf(uri, sizeof uri, "file:%s/app.db?vfs=litestream&replica_url=%s&write_enabled=true&buffer_path=%s/buffer"
             "&sync_interval=1h", dir, replica, dir);
    sqlite3 *db = open_db(uri, &rc);
    CHECK(db != NULL, "open %s -> %d", uri, rc);
    if (db == NULL) return 1;
    exec(db, "pragma page_size = 65536");
    exec(db, "create table t(id integer primary key, v blob)");
    for (int i = 0; i < 20; i++) exec(db, "insert into t(v) values (randomblob(30000))");
    exec(db, "begin; insert into t(v) values (zeroblob(100000)); rollback");
    exec(db, "savepoint a; insert into t(v) values ('x'); rollback to a; release a");
    char *n = text(db, "select count(*) from t");
    CHECK(n && strcmp(n, "20") == 0, "count %s", n ? n : "(null)");
    free(n);
    char *txid = text(db, "select litestream_sync()");
    CHECK(txid && strlen(txid) == 16, "sync %s", txid ? txid : "(null)");
    free(txid);
    char *st = text(db, "select litestream_status()");
    CHECK(st && strstr(st, "\"mode\":\"write\""), "status %s", st ? st : "(null)");
    free(st);
    char *ro = text(db, "pragma litestream_write_enabled");
    CHECK(ro && strcmp(ro, "1") == 0, "write_enabled %s", ro ? ro : "(null)");
    free(ro);
    sqlite3_stmt *bad = NULL;
    CHECK(sqlite3_prepare_v2(db, "pragma litestream_txid = 'x'", -1, &bad, NULL) != SQLITE_OK
          || sqlite3_step(bad) != SQLITE_ROW, "a read-only pragma with a value must fail");
    sqlite3_finalize(bad);
    char *ok = text(db, "pragma integrity_check");
    CHECK(ok && strcmp(ok, "ok") == 0, "integrity %s", ok ? ok : "(null)");
    free(ok);

    int faults = getenv("LITESTREAM_VFS_TEST_FAULTS") && strstr(getenv("LITESTREAM_VFS_TEST_FAULTS"), "set-buffer");
    unsigned char *buf = NULL;
    if (!faults) {
        /* Reads larger than the scratch buffer: it grows (twice). The file is 21+ pages of 64 KiB. */
        int sizes[] = {200000, 700000};
        for (int i = 0; i < 2; i++) {
            rc = raw_read(db, sizes[i], 0, &buf);
            CHECK(rc == SQLITE_OK, "raw read of %d -> %d", sizes[i], rc);
            CHECK(memcmp(buf, "SQLite format 3", 16) == 0, "raw read of %d: no header", sizes[i]);
            free(buf);
        }
    } else {
        /* Java refuses every larger buffer (LITESTREAM_VFS_TEST_FAULTS=set-buffer): the large read fails, and
         * the next reads must still come back right, through the buffer Java kept. */
        rc = raw_read(db, 65536, 65536, &buf); /* page 2 is what the scratch buffer holds now */
        CHECK(rc == SQLITE_OK && memcmp(buf, "SQLite format 3", 16) != 0, "page 2 -> %d", rc);
        free(buf);
        rc = raw_read(db, 900000, 0, &buf);
        CHECK(rc != SQLITE_OK, "a read whose buffer Java refused must fail, got %d", rc);
        free(buf);
        for (int i = 0; i < 3; i++) {
            rc = raw_read(db, 65536, 0, &buf);
            CHECK(rc == SQLITE_OK && memcmp(buf, "SQLite format 3", 16) == 0, "page 1 after a refused buffer -> %d", rc);
            free(buf);
        }
        char *again = text(db, "select count(*) from t");
        CHECK(again && strcmp(again, "20") == 0, "count after a refused buffer %s", again ? again : "(null)");
        free(again);
    }
    /* A second connection shares the engine database. */
    sqlite3 *db2 = open_db(uri, &rc);
    CHECK(db2 != NULL, "second open -> %d", rc);
    if (db2) {
        char *m = text(db2, "select count(*) from t");
        CHECK(m && strcmp(m, "20") == 0, "second count %s", m ? m : "(null)");
        free(m);
        /* Kept snapshots: db2's next read transactions reuse its pin (size and probe answered in C) until db
         * commits; then the next one must see the commit. */
        const char *want[] = {"20", "20", "21", "21", "20"};
        for (int i = 0; i < 5; i++) {
            if (i == 2) exec(db, "insert into t(v) values ('kept')");
            if (i == 4) exec(db, "delete from t where v = 'kept'");
            m = text(db2, "select count(*) from t");
            CHECK(m && strcmp(m, want[i]) == 0, "kept snapshot read %d: %s", i, m ? m : "(null)");
            free(m);
        }
        CHECK(sqlite3_close(db2) == SQLITE_OK, "close 2");
    }
    CHECK(sqlite3_close(db) == SQLITE_OK, "close");

    /* Refused opens: no leak, no stale state; each reason printed once on stderr by the shim. */
    const char *refused[] = {"replica_url=gs://bucket/app.db", "replica_url=s4://bucket/app.db",
                             "write_enabled=true&sync_interval=0", "write_enabled=true&buffer_path=/proc/nope/buffer"};
    for (int i = 0; i < 4; i++) {
        char u[4096];
        if (strncmp(refused[i], "replica_url=", 12) == 0)
            snprintf(u, sizeof u, "file:%s/refused.db?vfs=litestream&%s", dir, refused[i]);
        else
            snprintf(u, sizeof u, "file:%s/refused.db?vfs=litestream&replica_url=%s&%s", dir, replica, refused[i]);
        sqlite3 *x = open_db(u, &rc);
        CHECK(x == NULL && rc == SQLITE_CANTOPEN, "refused open %s -> %d", refused[i], rc);
        if (x) sqlite3_close(x);
    }
    /* Reopen after close: the engine reloads from the buffer and replica. */
    db = open_db(uri, &rc);
    CHECK(db != NULL, "reopen -> %d", rc);
    if (db) {
        char *m = text(db, "select count(*) from t");
        CHECK(m && strcmp(m, "20") == 0, "reopened count %s", m ? m : "(null)");
        free(m);
        sqlite3_close(db);
    }
    sqlite3_close(boot);
    if (failures == 0) printf("ok\n");
    return failures == 0 ? 0 : 1;
}
