#!/bin/sh
# Lays out <repo>/dist for the sqlite3 CLI and Python hosts (called by the Maven build in package):
#   dist/litestream-vfs.so                the build host's architecture (what the README's examples load)
#   dist/linux-<arch>/litestream-vfs.so   every architecture built, each dir with lib -> ../lib
#   dist/lib/                             the jars the extension's JVM runs (filled by maven-dependency-plugin)
#   $1 = dist dir, $2 = dir with linux-<arch>/liblitestreamvfs.so, $3 = host platform, $4 = the vfs-jni jar
set -eu
dist="$1"; native="$2"; host="$3"; jar="$4"
rm -rf "$dist/lib" "$dist"/linux-*
mkdir -p "$dist/lib"
cp "$native/$host/liblitestreamvfs.so" "$dist/litestream-vfs.so"
for d in "$native"/linux-*; do
  platform="$(basename "$d")"
  mkdir -p "$dist/$platform"
  cp "$d/liblitestreamvfs.so" "$dist/$platform/litestream-vfs.so"
  ln -s ../lib "$dist/$platform/lib"
done
cp "$jar" "$dist/lib/"
