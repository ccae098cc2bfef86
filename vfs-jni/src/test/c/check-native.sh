#!/bin/sh
# Checks the built native libraries (CI): architecture, newest glibc symbol version <= 2.17, and that each
# loads and exports its entry point — natively on the host, under qemu-user-static for the other arch.
#   $1 = directory holding linux-<arch>/liblitestreamvfs.so (vfs-jni/target/classes/native or dist/native)
set -eu
dir="$1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for arch in x86_64 aarch64; do
  lib="$dir/linux-$arch/liblitestreamvfs.so"
  [ -f "$lib" ] || { echo "check-native: $lib is missing" >&2; exit 1; }
  want=$([ $arch = x86_64 ] && echo 'x86-64' || echo 'ARM aarch64')
  file -L "$lib" | grep -q "$want" || { echo "check-native: $lib is not $want: $(file -L "$lib")" >&2; exit 1; }
  newest=$(objdump -T "$lib" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
  if [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" != 2.17 ]; then
    echo "check-native: $lib needs GLIBC_$newest (> 2.17):" >&2
    objdump -T "$lib" | grep GLIBC_ >&2
    exit 1
  fi
  echo "check-native: $lib: $want, newest symbol version GLIBC_$newest"
done
gcc -o "$tmp/smoke-x86_64" "$here/dlopen-smoke.c" -ldl
"$tmp/smoke-x86_64" "$dir/linux-x86_64/liblitestreamvfs.so"
aarch64-linux-gnu-gcc -o "$tmp/smoke-aarch64" "$here/dlopen-smoke.c" -ldl
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$tmp/smoke-aarch64" "$dir/linux-aarch64/liblitestreamvfs.so"
