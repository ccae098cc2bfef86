#!/bin/sh
# Compiles litestreamvfs.c into a shared library. Called by the Maven build (exec-maven-plugin).
#   $1 = JDK home of the building JVM (for jni.h), $2 = output .so path
set -eu
jdk="$1"
out="$2"
src="$(dirname "$0")/litestreamvfs.c"
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
command -v "${CC:-gcc}" >/dev/null 2>&1 || { echo "vfs-jni: no C compiler (${CC:-gcc}); install gcc" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"${CC:-gcc}" -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation \
  -I"$inc" -I"$jdk/include" -I"$jdk/include/linux" \
  -o "$out" "$src" -ldl -lpthread
