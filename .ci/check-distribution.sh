#!/usr/bin/env bash
# Distribution checks (issue 13), run by .ci/run after the test build:
#   1. release build: sources + javadoc jars and the BOM, installed into a PRIVATE local repository
#      (target/dist-check/m2; third-party artifacts are read from ~/.m2 as a read-only tail, nothing is written there)
#   2. native libraries: x86_64 and aarch64, glibc <= 2.17 symbol versions, loadable (aarch64 under qemu-user-static)
#   3. a fresh project outside the repository uses the artifacts through the BOM (S3, Azure and file-only
#      dependency blocks) and runs the example application
#   4. the CLI jar copied alone into an empty directory prints the build's version and restores the replica
#      the example wrote
#   5. the container example: compose.yaml parses and mirrors the seed; the Dockerfile's entry command runs directly
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$root/target/dist-check"
rm -rf "$work" && mkdir -p "$work"
m2=(-Dmaven.repo.local="$work/m2" -Dmaven.repo.local.tail="$HOME/.m2/repository")
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
step() { echo "dist-check: $*"; }
# has PATTERN: does the piped-in text contain PATTERN? It reads the whole input before matching. Never pipe into
# `grep -q` here: grep -q exits at its first match, the writer (unzip, the example app, java) is often still
# printing and dies of SIGPIPE (exit 141), and pipefail turns that into a failed check at random ("vfs-jni javadoc
# has no LitestreamVfs page" on an intact jar: 11 of 200 tries of the old line failed, 0 of 200 with has).
has() { local text; text=$(cat); grep -q -- "$1" <<<"$text"; }
! grep -nE '[|][[:space:]]*grep[[:space:]]+-q' "$0" || { echo "dist-check: a pipe into grep -q above; use has" >&2; exit 1; }
t0=$(date +%s)

# 1. Release build into the private repository (online: a fresh machine may lack the release profile's plugins).
./mvnw -B -q -Prelease -DskipTests install "${m2[@]}" -Dnative.crossRequired=true
for m in ltx-format replica-spi replica-file replica-s3 replica-azure conformance pagestore syncer vfs-jni ltx4j-micrometer cli; do
  for c in "" -sources -javadoc; do
    f="$work/m2/dev/ltx4j/$m/$version/$m-$version$c.jar"
    [ -s "$f" ] || { echo "dist-check: missing $f" >&2; exit 1; }
  done
done
unzip -l "$work/m2/dev/ltx4j/vfs-jni/$version/vfs-jni-$version-javadoc.jar" | has 'dev/ltx4j/vfs/LitestreamVfs.html' \
  || { echo "dist-check: vfs-jni javadoc has no LitestreamVfs page" >&2; exit 1; }
for tag in '<licenses>' '<scm' '<developers>' '<url>'; do
  grep -q "$tag" "$work/m2/dev/ltx4j/ltx4j-bom/$version/ltx4j-bom-$version.pom" || { echo "dist-check: BOM pom lacks $tag" >&2; exit 1; }
  grep -q "$tag" "$work/m2/dev/ltx4j/ltx4j-parent/$version/ltx4j-parent-$version.pom" || { echo "dist-check: parent pom lacks $tag" >&2; exit 1; }
done
step "release build with sources/javadoc/BOM installed privately ($(( $(date +%s) - t0 ))s)"

# 2. Native libraries, as packed in the jar and as laid out in dist/.
t=$(date +%s)
natives="$work/natives"
mkdir -p "$natives" && (cd "$natives" && unzip -q "$work/m2/dev/ltx4j/vfs-jni/$version/vfs-jni-$version.jar" 'native/*')
sh vfs-jni/src/test/c/check-native.sh "$natives/native"
newest=$(objdump -T dist/litestream-vfs.so | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
[ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" = 2.17 ] || { echo "dist-check: dist/litestream-vfs.so needs GLIBC_$newest" >&2; exit 1; }
file -L dist/linux-aarch64/litestream-vfs.so | has 'ARM aarch64' || { echo "dist-check: dist/linux-aarch64 is not aarch64" >&2; exit 1; }
file -L dist/linux-x86_64/litestream-vfs.so | has 'x86-64' || { echo "dist-check: dist/linux-x86_64 is not x86-64" >&2; exit 1; }
step "native libraries ok; dist/litestream-vfs.so newest GLIBC_$newest ($(( $(date +%s) - t ))s)"

# 3. A fresh project outside the repository, through the BOM.
t=$(date +%s)
outside="$(mktemp -d)"
trap 'rm -rf "$outside"' EXIT
build_app() { # $1 = dir. Online: a user's third-party versions may differ from the build's pins (e.g. the Azure
  # SDK's own jackson-annotations); they land in the private repository, never in ~/.m2. -nsu: ours are local.
  "$root/mvnw" -B -q -nsu -f "$1/pom.xml" "${m2[@]}" package
}
cp -r examples/app "$outside/app-s3"; rm -rf "$outside/app-s3/target"
sed -i "s:<ltx4j.version>.*</ltx4j.version>:<ltx4j.version>$version</ltx4j.version>:" "$outside/app-s3/pom.xml"
cp -r "$outside/app-s3" "$outside/app-azure"
sed -i 's:<artifactId>replica-s3</artifactId>:<artifactId>replica-azure</artifactId>:' "$outside/app-azure/pom.xml"
cp -r "$outside/app-s3" "$outside/app-file"
/usr/bin/python3 - "$outside/app-file/pom.xml" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s2 = re.sub(r'\s*<dependency>\s*<groupId>dev.ltx4j</groupId>\s*<artifactId>replica-s3</artifactId>\s*</dependency>', '', s)
assert s2 != s, "no replica-s3 dependency to remove"
open(p, 'w').write(s2)
PY
for v in s3 azure file; do build_app "$outside/app-$v"; done
ls "$outside/app-s3/target/lib" | has '^s3-.*\.jar$' || { echo "dist-check: the S3 block brings no AWS S3 SDK" >&2; exit 1; }
ls "$outside/app-azure/target/lib" | has '^azure-storage-blob-.*\.jar$' || { echo "dist-check: the Azure block brings no Azure SDK" >&2; exit 1; }
ls "$outside/app-file/target/lib" | has '^replica-file-.*\.jar$' || { echo "dist-check: the file block lacks replica-file" >&2; exit 1; }
run_app() { # $1 = app dir, $2 = replica dir, $3 = buffer dir
  (cd "$1" && LITESTREAM_WRITE_ENABLED=true LITESTREAM_REPLICA_URL="file://$2" LITESTREAM_SYNC_INTERVAL=1s \
     LITESTREAM_BUFFER_PATH="$3/buffer.db" java -cp 'target/app.jar:target/lib/*' example.App 2>/dev/null)
}
mkdir -m 700 "$outside/buf-file" "$outside/buf-s3" "$outside/buf-azure"
run_app "$outside/app-file" "$outside/replica" "$outside/buf-file" | has '^Event 1: ' || { echo "dist-check: example app (file block) failed" >&2; exit 1; }
out=$(run_app "$outside/app-file" "$outside/replica" "$outside/buf-file")
echo "$out" | has '^Event 2: ' || { echo "dist-check: example app second run: $out" >&2; exit 1; }
run_app "$outside/app-s3" "$outside/replica-s3" "$outside/buf-s3" | has '^Event 1: ' || { echo "dist-check: example app (S3 block) failed" >&2; exit 1; }
run_app "$outside/app-azure" "$outside/replica-azure" "$outside/buf-azure" | has '^Event 1: ' || { echo "dist-check: example app (Azure block) failed" >&2; exit 1; }
# The same example as a named module on the module path (java -p ... -m): only required modules and service
# providers are resolved there, so a backend needing an unrequired JDK module fails only this way.
modular="$outside/modular"
mkdir -p "$modular/src/example" "$modular/out"
cp examples/app/src/main/java/example/App.java "$modular/src/example/"
echo 'module example { requires dev.ltx4j.vfs; }' > "$modular/src/module-info.java"
javac -d "$modular/out" -p "$outside/app-s3/target/lib" "$modular/src/module-info.java" "$modular/src/example/App.java"
mkdir -m 700 "$outside/buf-modular"
out=$(cd "$modular" && LITESTREAM_WRITE_ENABLED=true LITESTREAM_REPLICA_URL="file://$outside/replica-modular" \
      LITESTREAM_SYNC_INTERVAL=1s LITESTREAM_BUFFER_PATH="$outside/buf-modular/buffer.db" \
      java -p "$outside/app-s3/target/lib:$modular/out" -m example/example.App 2>&1) || true
echo "$out" | has '^Event 1: ' || { echo "dist-check: example app on the module path failed: $out" >&2; exit 1; }
# A file:// replica never builds an S3 client, so the run above does not load the AWS SDK or Apache HttpClient 5
# (which needs jdk.net: replica-s3's `requires jdk.net`). An s3:// URL to a dead endpoint with dummy keys does, and
# must fail on the refused connection, not on a class missing from the module graph.
mkdir -m 700 "$outside/buf-modular-s3"
out=$(cd "$modular" && env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_EC2_METADATA_DISABLED=true \
      AWS_ACCESS_KEY_ID=dist-check AWS_SECRET_ACCESS_KEY=dist-check-secret LITESTREAM_WRITE_ENABLED=true \
      LITESTREAM_REPLICA_URL='s3://bucket/modular?endpoint=http://127.0.0.1:9&region=us-east-1&forcePathStyle=true' \
      LITESTREAM_BUFFER_PATH="$outside/buf-modular-s3/buffer.db" \
      java -p "$outside/app-s3/target/lib:$modular/out" -m example/example.App 2>&1) || true
if echo "$out" | has 'NoClassDefFoundError\|ClassNotFoundException\|ServiceConfigurationError' \
    || ! echo "$out" | has 'cannot connect to endpoint http://127.0.0.1:9'; then
  echo "dist-check: the example with an s3:// replica on the module path did not fail on the dead endpoint: $out" >&2; exit 1
fi
# JDK 24+ warn on stderr about native access unless it is enabled: with the flags README's "JDK 21 and 25" gives,
# the example prints no WARNING line on JDK 24+ (class path, and module path, whose list of modules must stay complete).
# The JDK is found as the JDK 24+ tests find theirs (.ci/find-jdk24).
jdk25=$("$root/.ci/find-jdk24" || true)
if [ -n "$jdk25" ]; then
  for how in classpath modulepath; do
    mkdir -m 700 "$outside/buf-25-$how"
    if [ "$how" = classpath ]; then
      run25=(--enable-native-access=ALL-UNNAMED -cp 'target/app.jar:target/lib/*' example.App); dir="$outside/app-s3"
    else
      run25=(--enable-native-access=dev.ltx4j.vfs,org.xerial.sqlitejdbc,org.lz4.java
             -p "$outside/app-s3/target/lib:$modular/out" -m example/example.App); dir="$modular"
    fi
    out=$(cd "$dir" && LITESTREAM_WRITE_ENABLED=true LITESTREAM_REPLICA_URL="file://$outside/replica-25-$how" \
          LITESTREAM_SYNC_INTERVAL=1s LITESTREAM_BUFFER_PATH="$outside/buf-25-$how/buffer.db" \
          "$jdk25/bin/java" "${run25[@]}" 2>"$outside/err-25-$how") || true
    err=$(cat "$outside/err-25-$how")
    if ! echo "$out" | has '^Event 1: ' || echo "$err" | has '^WARNING'; then
      echo "dist-check: the example on $jdk25 ($how, native access enabled as README says): $out $err" >&2; exit 1
    fi
  done
else
  echo "dist-check: NOTICE: no JDK 24+ under /usr/lib/jvm or /opt: the JDK 24+ warning check is SKIPPED" >&2
fi
step "fresh project through the BOM: S3, Azure and file blocks build, the example runs (class path and module path, file:// and s3://) ($(( $(date +%s) - t ))s)"

# 4. The CLI jar alone.
t=$(date +%s)
solo="$outside/solo"
mkdir "$solo" && cp cli/target/ltx4j-cli.jar "$solo/"
(cd "$solo" && env -u CLASSPATH java -jar ltx4j-cli.jar --version) | has "^ltx4j $version\$" || { echo "dist-check: --version is not ltx4j $version" >&2; exit 1; }
(cd "$solo" && java -jar ltx4j-cli.jar restore "file://$outside/replica" -o restored.db)
n=$(sqlite3 "$solo/restored.db" 'SELECT count(*) FROM events')
[ "$n" = 2 ] || { echo "dist-check: restored $n events, want 2" >&2; exit 1; }
# No instance metadata: run alone on a host without credentials, the default chain would ask 169.254.169.254.
err=$( (cd "$solo" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u LITESTREAM_ACCESS_KEY_ID -u LITESTREAM_SECRET_ACCESS_KEY \
       AWS_EC2_METADATA_DISABLED=true java -jar ltx4j-cli.jar ltx ls 's3://bucket/p?endpoint=http://127.0.0.1:9&region=us-east-1' 2>&1) || true)
echo "$err" | has 'no credentials for s3://' || { echo "dist-check: s3 backend not found in the CLI jar: $err" >&2; exit 1; }
# An http endpoint: refused at open for want of a key, so DefaultAzureCredential never asks instance metadata.
err=$( (cd "$solo" && env -u AZURE_STORAGE_CONNECTION_STRING -u LITESTREAM_AZURE_ACCOUNT_KEY -u LITESTREAM_AZURE_SAS_TOKEN java -jar ltx4j-cli.jar ltx ls 'abs://a@c/p?endpoint=http://127.0.0.1:9/a' 2>&1) || true)
echo "$err" | has 'no credentials for abs://' || { echo "dist-check: abs backend not found in the CLI jar: $err" >&2; exit 1; }
step "CLI jar alone: version $version, restored the example's replica, s3/abs backends present ($(( $(date +%s) - t ))s)"

# 5. Containers (no engine here): compose.yaml mirrors the seed; the Dockerfile's entry command runs directly.
t=$(date +%s)
/usr/bin/python3 - examples/docker/compose.yaml <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
app = c["services"]["app"]
env = dict(e.split("=", 1) for e in app["environment"])
for k in ["LITESTREAM_WRITE_ENABLED", "LITESTREAM_REPLICA_URL", "LITESTREAM_SYNC_INTERVAL", "LITESTREAM_BUFFER_PATH",
          "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]:
    assert k in env, k
assert env["LITESTREAM_BUFFER_PATH"].startswith("/data/"), env["LITESTREAM_BUFFER_PATH"]
assert "litestream-buffer:/data" in app["volumes"] and "litestream-buffer" in c["volumes"]
assert app["build"]["dockerfile"] == "examples/docker/Dockerfile"
PY
image="$outside/image"
mkdir -p "$image/app"
cp "$outside/app-s3/target/app.jar" "$image/app/app.jar" && cp -r "$outside/app-s3/target/lib" "$image/app/lib"
entry=$(/usr/bin/python3 - examples/docker/Dockerfile "$image" <<'PY'
import json, shlex, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("ENTRYPOINT ")]
assert len(lines) == 1, "one ENTRYPOINT"
cmd = json.loads(lines[0][len("ENTRYPOINT "):])
print(" ".join(shlex.quote(a.replace("/app/", sys.argv[2] + "/app/")) for a in cmd))
PY
)
mkdir -m 700 "$outside/data"
out=$(cd "$outside/data" && LITESTREAM_WRITE_ENABLED=true LITESTREAM_REPLICA_URL="file://$outside/replica-image" \
      LITESTREAM_SYNC_INTERVAL=1s LITESTREAM_BUFFER_PATH="$outside/data/buffer.db" eval "$entry" 2>/dev/null)
echo "$out" | has '^Event 1: ' || { echo "dist-check: the image's entry command failed: $out" >&2; exit 1; }
step "containers: compose.yaml valid, entry command ran ($(( $(date +%s) - t ))s)"
step "all distribution checks passed in $(( $(date +%s) - t0 ))s"
