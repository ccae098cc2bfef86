#!/bin/bash
# Probe S3: a >2 GiB transaction synced to S3Proxy (filesystem store) by the sqlite3 CLI + extension, the writer's
# L1 compaction of it, then ltx4j restore and a read-mode follower from S3, all at -Xmx512m.
set -u
B=${D:-/tmp/bigdb}; D=$B/s3w; mkdir -p $D; DIST=${DIST:-$B/frozen/dist}; CLI=${CLI:-$B/frozen/ltx4j-cli.jar}
PORT=${PORT:?}
URL="s3://big/db?endpoint=http://127.0.0.1:$PORT&forcePathStyle=true&region=us-east-1"
export AWS_ACCESS_KEY_ID=probe-access AWS_SECRET_ACCESS_KEY=probe-secret
export LITESTREAM_REPLICA_URL="$URL" LITESTREAM_JVM_OPTS="-Xmx512m -XX:MaxDirectMemorySize=256m"
export LITESTREAM_BUFFER_PATH=$D/app.buffer
ROWS=${ROWS:-34000}
step() { echo "== $1 $(date -u +%T)"; }
T() { /usr/bin/time -f "wall %e s, user %U, sys %S, maxrss %M KB" "$@"; }
step write
LITESTREAM_WRITE_ENABLED=true T sqlite3 -bail <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/app.db?vfs=litestream'
PRAGMA page_size=65536;
CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<$ROWS) INSERT INTO t(b) SELECT randomblob(65400) FROM c;
COMMIT;
SELECT 'committed', litestream_txid(), strftime('%H:%M:%f');
SELECT 'sync', litestream_sync(), strftime('%H:%M:%f');
.shell sleep 100
SELECT litestream_status();
SQL
find "$B/s3store" -type f -size +1M | xargs ls -la
step restore
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI restore -o $D/restored.db "$URL"
T sqlite3 $D/restored.db "PRAGMA page_count; PRAGMA quick_check; SELECT count(*), sum(length(b)) FROM t; SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, $ROWS);"
rm -f $D/restored.db
step follower
T sqlite3 -bail <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/read.db?vfs=litestream'
SELECT count(*), sum(length(b)) FROM t;
SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, $ROWS);
SELECT litestream_status();
SQL
step done
