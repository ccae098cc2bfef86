#!/bin/bash
# Probe Azure: a plain 2.23 GB database imported into Azurite (on disk) as one > 2 GiB LTX file (staged 4 MiB
# blocks), then ltx4j restore from it, at -Xmx512m. Azurite: azurite-blob --blobPort $PORT --location $D/az/data,
# container "big" created first.
set -u
B=${D:-/tmp/bigdb}; D=$B/az; mkdir -p $D; CLI=${CLI:-$B/frozen/ltx4j-cli.jar}; PORT=${PORT:?}
export LITESTREAM_AZURE_ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
URL="abs://devstoreaccount1@big/db?endpoint=http://127.0.0.1:$PORT/devstoreaccount1"
step() { echo "== $1 $(date -u +%T)"; }
T() { /usr/bin/time -f "wall %e s, user %U, sys %S, maxrss %M KB" "$@"; }
[ -f $D/big.db ] || sqlite3 $D/big.db "PRAGMA page_size=65536; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<34000) INSERT INTO t(b) SELECT randomblob(65400) FROM c;"
step import
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI import $D/big.db "$URL"
java -jar $CLI ltx ls "$URL"
step restore
T java -Xmx512m -XX:MaxDirectMemorySize=256m -jar $CLI restore -o $D/restored.db "$URL"
cmp $D/big.db $D/restored.db && echo "restored file equals the source"
T sqlite3 $D/restored.db "PRAGMA quick_check; SELECT count(*), sum(length(b)) FROM t;"
rm -f $D/restored.db
step done
