#!/bin/bash
# Probe C: page size 4096 past 2 GiB (540,000 pages) in one transaction through the VFS, sync, read mode, restore
set -u
B=${D:-/tmp/bigdb}; D=$B/p4k; mkdir -p $D; DIST=${DIST:-$B/frozen/dist}; CLI=${CLI:-$B/frozen/ltx4j-cli.jar}
export LITESTREAM_REPLICA_URL=file://$D/replica LITESTREAM_JVM_OPTS="-Xmx512m -XX:MaxDirectMemorySize=256m"
export LITESTREAM_BUFFER_PATH=$D/app.buffer LITESTREAM_COMPACTION=off
ROWS=${ROWS:-540000}
step() { echo "== $1 $(date -u +%T)"; }
T() { /usr/bin/time -f "wall %e s, user %U, sys %S, maxrss %M KB" "$@"; }
step write
LITESTREAM_WRITE_ENABLED=true T sqlite3 -bail <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/app.db?vfs=litestream'
PRAGMA page_size=4096;
CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<$ROWS) INSERT INTO t(b) SELECT randomblob(4000) FROM c;
COMMIT;
SELECT 'committed', litestream_txid(), strftime('%H:%M:%f');
SELECT 'sync', litestream_sync(), strftime('%H:%M:%f');
PRAGMA page_count;
SQL
ls -la $D/replica/ltx/0/; rm -rf $D/app.buffer*
step follower
T sqlite3 -bail <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/read.db?vfs=litestream'
PRAGMA page_count;
SELECT count(*), sum(length(b)) FROM t;
SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, $ROWS);
SQL
step restore
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI restore -o $D/restored.db file://$D/replica
T sqlite3 $D/restored.db "PRAGMA page_count; PRAGMA quick_check; SELECT count(*), sum(length(b)) FROM t; SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, $ROWS);"
rm -f $D/restored.db
step done
