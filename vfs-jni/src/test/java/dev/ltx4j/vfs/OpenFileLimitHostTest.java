package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process at its open-file limit ({@code ulimit -n}): a fleet's service opening a database per tenant. The failure
 * names the limit (RLIMIT_NOFILE soft and hard, how many are open) and what to do, not only "Too many open files"
 * and the file (docs/field-probes.md, round 6 reported it, round 7 fixed it). Debian's python3 with the extension,
 * started under {@code prlimit --nofile=256:512}, file replicas.
 */
class OpenFileLimitHostTest {
    @TempDir
    Path dir;

    @Test
    void runningOutOfDescriptorsNamesTheLimit() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "no /usr/bin/prlimit (util-linux)");
        HostFixture dist = HostFixture.create(dir, true);
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LC_ALL", "C.UTF-8");
        Path app = dir.resolve("app.py");
        Files.writeString(app, "import sqlite3, sys, os\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "root = sys.argv[2]\n"
                + "conns = []\n"
                + "for i in range(200):\n"
                + "    try:\n"
                + "        c = sqlite3.connect(f'file:{root}/d{i}.db?vfs=litestream&replica_url=file://{root}/r{i}"
                + "&buffer_path={root}/b{i}.buffer&sync_interval=1h', uri=True)\n"
                + "        conns.append(c)\n"
                + "        c.execute('create table t(x)')\n"
                + "        c.execute('insert into t values (1)')\n"
                + "        c.commit()\n"
                + "        c.execute('select litestream_sync()').fetchone()\n"
                + "    except sqlite3.Error as e:\n"
                + "        print('failed at', i, e)\n"
                + "        try:\n"
                + "            print('last_error:', c.execute('pragma litestream_last_error').fetchone()[0])\n"
                + "        except Exception as again:\n"
                + "            print('no last_error:', again)\n"
                + "        break\n"
                + "else:\n"
                + "    print('all opened')\n"
                + "sys.stdout.flush()\n"
                + "os._exit(0)\n");
        HostFixture.Result r = HostFixture.run(cmd("/usr/bin/prlimit", "--nofile=256:512", PYTHON3, app, dist.so,
                dir), env, "", dir);
        String all = r.out() + "\n" + r.err();
        assertThat(r.out()).as(all).contains("failed at").doesNotContain("all opened")
                .doesNotContain("last_error: \n"); // an empty one: a class the failure path loaded late (round 7)
        assertThat(all).as(all).contains("Too many open files")
                // the embedded JVM raised its soft limit to the hard one at start (-XX:+MaxFDLimit)
                .contains("at its open-file limit (RLIMIT_NOFILE soft 512, hard 512)", "raise the hard limit",
                        "LimitNOFILE=", "open fewer databases");
        for (String line : all.split("\n")) {
            if (line.contains("Too many open files")) {
                assertThat(line).as("every report of EMFILE names the limit").contains("RLIMIT_NOFILE soft 512");
            }
        }
    }
}
