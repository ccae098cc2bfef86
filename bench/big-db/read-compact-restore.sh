#!/bin/bash
# Probe B: read mode, time travel, reference extension, compaction, restore of the >4 GiB replica
set -u
D=${D:-/tmp/bigdb}; DIST=${DIST:-$D/frozen/dist}; CLI=${CLI:-$D/frozen/ltx4j-cli.jar}
REF=${REF:-.cache}/reference-vfs-0.5.17/node_modules/litestream-vfs-linux-amd64/litestream-vfs.so
TT=${TT:?time between txid 2 and 3}
export LITESTREAM_REPLICA_URL=file://$D/replica LITESTREAM_JVM_OPTS="-Xmx512m -XX:MaxDirectMemorySize=256m"
step() { echo "== $1 $(date -u +%T)"; }
T() { /usr/bin/time -f "wall %e s, user %U, sys %S, maxrss %M KB" "$@"; }
step readmode
T sqlite3 -bail <<SQL
.load $DIST/litestream-vfs sqlite3_litestreamvfs_init
.open 'file:$D/read.db?vfs=litestream'
PRAGMA page_size; PRAGMA page_count;
SELECT count(*), sum(length(b)) FROM t;
SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, 34000, 34001, 68000);
PRAGMA quick_check;
SELECT litestream_txid();
PRAGMA litestream_time = '$TT';
SELECT 'timetravel', count(*), max(id) FROM t;
SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, 34000);
PRAGMA litestream_time = 'latest';
SELECT 'latest', count(*), max(id) FROM t;
SELECT litestream_status();
SQL
step reference
LITESTREAM_REPLICA_URL=file://$D/replica T sqlite3 -bail <<SQL
.load $REF
.open 'file:$D/ref.db?vfs=litestream'
PRAGMA page_count;
SELECT count(*), sum(length(b)) FROM t;
SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, 34000, 34001, 68000);
SQL
step compact-L1
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI compact --intervals 30s --no-snapshot file://$D/replica
java -jar $CLI ltx ls file://$D/replica
step verify-L1
T java -Xmx512m -jar $CLI ltx verify $D/replica/ltx/1/0000000000000001-0000000000000003.ltx 2>&1 | tail -3
rm -f $D/replica/ltx/0/0000000000000002-0000000000000002.ltx $D/replica/ltx/0/0000000000000003-0000000000000003.ltx
step snapshot
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI compact --intervals none file://$D/replica
java -jar $CLI ltx ls file://$D/replica
rm -f $D/replica/ltx/1/0000000000000001-0000000000000003.ltx
step restore
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI restore -o $D/restored.db file://$D/replica
ls -la $D/restored.db
T sqlite3 $D/restored.db "PRAGMA page_size; PRAGMA page_count; PRAGMA quick_check; SELECT count(*), sum(length(b)) FROM t; SELECT id, hex(substr(b, 1, 8)) FROM t WHERE id IN (1, 34000, 34001, 68000);"
step done
