#!/bin/bash
# Field probe (issue 14 round): another local user against ltx4j's default buffer directory
# (<java.io.tmpdir>/ltx4j-<user>). Needs root (creates a user, runs as it with runuser); skips otherwise.
# Usage: other-users.sh CLASSPATH   (ltx4j-cli.jar, or a class path holding vfs-jni and sqlite-jdbc; its entries are
# copied to a directory the second user can read). Exit 0 when every probe held, 1 on a defect.
set -u
if [ "$(id -u)" != 0 ] || ! command -v runuser >/dev/null || ! command -v useradd >/dev/null; then
  echo "SKIP: needs root, useradd and runuser (creates a second OS user)"; exit 0
fi
CP_IN=${1:?usage: other-users.sh CLASSPATH}
USER2=ltx4jprobe
id "$USER2" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$USER2"
WORK=$(mktemp -d /tmp/ltx4j-users-probe.XXXXXX); chmod 755 "$WORK"
mkdir "$WORK/cp"; CP=""; n=0
IFS=: read -ra ENTRIES <<< "$CP_IN"
for e in "${ENTRIES[@]}"; do
  [ -e "$e" ] || continue; n=$((n+1))
  if [ -d "$e" ]; then cp -r "$e" "$WORK/cp/$n"; else cp "$e" "$WORK/cp/$n.jar"; e="$WORK/cp/$n.jar"; fi
  CP="$CP:${e/#*/$( [ -d "$WORK/cp/$n" ] && echo "$WORK/cp/$n" || echo "$WORK/cp/$n.jar")}"
done
chmod -R a+rX "$WORK"
cat > "$WORK/Open.java" <<'JAVA'
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
public class Open {
    public static void main(String[] a) throws Exception {
        var b = LitestreamVfs.builder().replica(a[0]).writeEnabled(a[1].equals("write"));
        if (a.length > 3) b.hydration(true);
        try (Connection c = b.register("probe").connect(Path.of(a[2])); Statement s = c.createStatement()) {
            if (a[1].equals("write")) { s.execute("create table if not exists t(x)"); s.execute("insert into t values (1)"); }
            var r = s.executeQuery("select count(*) from t"); r.next();
            System.out.println("OPENED rows=" + r.getInt(1));
        } catch (Exception e) {
            System.out.println("REFUSED " + e.getMessage());
        }
        System.exit(0);
    }
}
JAVA
TMP=/tmp; DIR=$TMP/ltx4j-$USER2; FAIL=0
mkdir -p "$WORK/replica"; chown "$USER2" "$WORK/replica"
as2() { runuser -u "$USER2" -- java -Djava.io.tmpdir=$TMP -cp "${CP#:}" "$WORK/Open.java" "file://$WORK/replica" "$@" 2>&1 | grep -E '^(OPENED|REFUSED)'; }
expect() { # expect LABEL WANT(OPENED|REFUSED) WORD-IN-MESSAGE ARGS...
  local label=$1 want=$2 word=$3; shift 3; local got; got=$(as2 "$@")
  if [[ "$got" == "$want"* && "$got" == *"$word"* ]]; then echo "held: $label: $got"; else echo "DEFECT: $label: $got"; FAIL=1; fi
}
rm -rf "$DIR"
mkdir -m 777 "$DIR"                                    # someone else's (root's), world-writable
expect "default buffer dir owned by another user" REFUSED "$DIR" write "$WORK/a.db"
rm -rf "$DIR"; mkdir -m 775 "$DIR"; chown "$USER2" "$DIR"  # the user's own but group-writable
expect "default buffer dir group-writable" REFUSED "$DIR" write "$WORK/a.db"
rm -rf "$DIR"; mkdir -m 700 "$WORK/planted"; ln -s "$WORK/planted" "$DIR"  # a symlink planted in /tmp
expect "default buffer dir a planted symlink" REFUSED "$DIR" write "$WORK/a.db"
rm -f "$DIR"; mkdir -m 700 "$WORK/planted2"; chown "$USER2" "$WORK/planted2"; ln -s "$WORK/planted2" "$DIR"
expect "default buffer dir a symlink to the user's own dir" REFUSED "$DIR" write "$WORK/a.db"
rm -f "$DIR"
expect "clean default buffer dir" OPENED "rows=1" write "$WORK/a.db"
MODE=$(stat -c '%a %U' "$DIR"); FILES=$(find "$DIR" -type f -printf '%m %u\n' | sort -u | tr '\n' ' ')
if [ "$MODE" = "700 $USER2" ] && [[ "$FILES" =~ ^(600\ $USER2\ )+$ ]]; then echo "held: created $DIR $MODE, files $FILES"; else echo "DEFECT: modes $MODE / $FILES"; FAIL=1; fi
# a buffer file planted beside the user's buffer by root (the user's dir is 700, so only root can): refused, not used
for f in "$DIR"/*.ltx4j-buffer; do chown root "$f"; done
expect "buffer file owned by another user" REFUSED "ltx4j-buffer" write "$WORK/a.db"
for f in "$DIR"/*.ltx4j-buffer; do chown "$USER2" "$f"; chmod 660 "$f"; done
expect "buffer file group-writable" REFUSED "ltx4j-buffer" write "$WORK/a.db"
for f in "$DIR"/*.ltx4j-buffer; do chmod 600 "$f"; done
expect "buffer file restored to owner-only" OPENED "rows=2" write "$WORK/a.db"
# read mode with hydration at its default path, as the second user
expect "read mode hydration (default path) as the second user" OPENED "rows=2" read "$WORK/r.db" hydrate
rm -rf "$DIR" "$WORK"
exit $FAIL
