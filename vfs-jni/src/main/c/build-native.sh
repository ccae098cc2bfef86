#!/bin/sh
# Compiles litestreamvfs.c, crc64clmul.c and crc64pmull.c (the CRC-64 accelerator: PCLMULQDQ on x86-64, PMULL on
# aarch64, each used only where the CPU has it) into shared libraries for Linux x86_64 and aarch64. Called by Maven.
#   $1 = JDK home of the building JVM (for jni.h), $2 = output directory (gets linux-<arch>/liblitestreamvfs.so),
#   $3 = cross build mode: "auto" (build the other architecture when its cross compiler is installed, else warn)
#        or "required" (fail without it; CI and the release profile use this).
# The libraries load on glibc 2.17 or newer: glibc-compat.h pins symbol versions (see there).
set -eu
jdk="$1"
outdir="$2"
cross="${3:-auto}"
here="$(cd "$(dirname "$0")" && pwd)"
inc="${SQLITE_INCLUDE_DIR:-/usr/include}"
for h in sqlite3.h sqlite3ext.h; do
  if [ ! -f "$inc/$h" ]; then
    echo "vfs-jni: $inc/$h is missing; install the Debian package libsqlite3-dev (apt-get install libsqlite3-dev)" >&2
    exit 1
  fi
done
if [ ! -f "$jdk/include/jni.h" ]; then
  echo "vfs-jni: $jdk/include/jni.h is missing; build with a full JDK (not a JRE)" >&2
  exit 1
fi

# $1 = compiler, $2 = arch name. jni.h/jni_md.h and sqlite3.h are the same on x86_64 and aarch64 Linux.
build() {
  cc="$1"
  arch="$2"
  out="$outdir/linux-$arch/liblitestreamvfs.so"
  mkdir -p "$(dirname "$out")"
  # libdl/libpthread by file name: DT_NEEDED entries that glibc < 2.34 needs (-ldl finds no .so on glibc 2.34+).
  libdl="$("$cc" -print-file-name=libdl.so.2)"
  libpthread="$("$cc" -print-file-name=libpthread.so.0)"
  "$cc" -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation \
    -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -include "$here/glibc-compat.h" \
    -I"$inc" -I"$jdk/include" -I"$jdk/include/linux" \
    -o "$out" "$here/litestreamvfs.c" "$here/crc64clmul.c" "$here/crc64pmull.c" -Wl,--no-as-needed "$libdl" "$libpthread" -Wl,--as-needed
}

case "$(uname -m)" in
  x86_64|amd64) host=x86_64; other=aarch64; other_cc="${CC_AARCH64:-aarch64-linux-gnu-gcc}" ;;
  aarch64|arm64) host=aarch64; other=x86_64; other_cc="${CC_X86_64:-x86_64-linux-gnu-gcc}" ;;
  *) echo "vfs-jni: cannot build the native library on $(uname -m) (x86_64 and aarch64 Linux only)" >&2; exit 1 ;;
esac
command -v "${CC:-gcc}" >/dev/null 2>&1 || { echo "vfs-jni: no C compiler (${CC:-gcc}); install gcc" >&2; exit 1; }
build "${CC:-gcc}" "$host"
if command -v "$other_cc" >/dev/null 2>&1; then
  build "$other_cc" "$other"
elif [ "$cross" = required ]; then
  echo "vfs-jni: no cross compiler $other_cc for linux-$other; install gcc-$other-linux-gnu (Debian: apt-get install gcc-${other%_64}-linux-gnu)" >&2
  exit 1
else
  echo "vfs-jni: WARNING: $other_cc not installed, the jar will hold linux-$host only (apt-get install gcc-$other-linux-gnu)" >&2
fi
