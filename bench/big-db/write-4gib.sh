#!/bin/bash
# Probe A: a >2 GiB single transaction and a >4 GiB database through the sqlite3 CLI + litestream extension
set -u
D=${D:-/tmp/bigdb}; DIST=${DIST:-$D/frozen/dist}
export LITESTREAM_WRITE_ENABLED=true LITESTREAM_REPLICA_URL=file://$D/replica
export LITESTREAM_BUFFER_PATH=$D/app.buffer
export LITESTREAM_JVM_OPTS="-Xmx512m -XX:MaxDirectMemorySize=256m"
ROWS=${ROWS:-34000}
step() { echo "== $1 $(date -u +%T)"; }
run_sql() { /usr/bin/time -f "wall %e s, user %U, sys %S, maxrss %M KB" sqlite3 -bail "$@"; }
step txn1
run_sql <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/app.db?vfs=litestream'
PRAGMA page_size=65536;
CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<$ROWS) INSERT INTO t(b) SELECT randomblob(65400) FROM c;
COMMIT;
SELECT 'committed', litestream_txid();
SELECT 'sync', litestream_sync();
SELECT litestream_status();
SQL
ls -la $D/replica/ltx/0/; du -sh $D
ls -la $D/replica/ltx/*/; rm -f $D/replica/ltx/1/*.ltx
export LITESTREAM_COMPACTION=off
step txn2
run_sql <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/app.db?vfs=litestream'
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<$ROWS) INSERT INTO t(b) SELECT randomblob(65400) FROM c;
COMMIT;
SELECT 'committed', litestream_txid();
SELECT 'sync', litestream_sync();
PRAGMA page_count; PRAGMA page_size;
SELECT count(*), sum(length(b)) FROM t;
SELECT litestream_status();
SQL
ls -la $D/replica/ltx/0/; du -sh $D
step done
