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
 * Many write-mode databases in one process (a fleet's service with a database per tenant): each holds native
 * buffers outside the heap, limited by the JVM's {@code -XX:MaxDirectMemorySize} (by default -Xmx). When they run
 * out, the write that needed one fails naming the limit, not as a bare "disk I/O error" with an empty
 * {@code litestream_last_error} (field probes round 6). Debian's python3 with the extension, file replicas.
 */
class ManyDatabasesDirectMemoryTest {
    @TempDir
    Path dir;

    @Test
    void runningOutOfDirectMemoryNamesTheLimit() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        HostFixture dist = HostFixture.create(dir, true);
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        // about 72 KiB per database since its commit staging starts at 64 KiB (12m held 10 when it was 1 MiB)
        env.put("LITESTREAM_JVM_OPTS", "-XX:MaxDirectMemorySize=4m");
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        Path app = dir.resolve("app.py");
        Files.writeString(app, "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "root = sys.argv[2]\n"
                + "conns = []\n"
                + "for i in range(100):\n"
                + "    c = sqlite3.connect(f'file:{root}/d{i}.db?vfs=litestream&replica_url=file://{root}/r{i}"
                + "&buffer_path={root}/b{i}.buffer&sync_interval=1h', uri=True)\n"
                + "    conns.append(c)\n"
                + "    try:\n"
                + "        c.execute('create table t(x)')\n"
                + "        c.commit()\n"
                + "    except sqlite3.Error as e:\n"
                + "        print('failed at', i, e)\n"
                + "        print('last_error:', c.execute('pragma litestream_last_error').fetchone()[0])\n"
                + "        break\n"
                + "else:\n"
                + "    print('all opened')\n"
                + "import os\n"
                + "sys.stdout.flush()\n"
                + "os._exit(0)\n");
        HostFixture.Result r = HostFixture.run(cmd(PYTHON3, app, dist.so, dir), env, "", dir);
        String all = r.out() + "\n" + r.err();
        assertThat(r.out()).as(all).contains("failed at").doesNotContain("all opened");
        assertThat(r.out()).as(all).contains("failed: cannot reserve",
                "bytes of direct buffer memory", "-XX:MaxDirectMemorySize", "open fewer databases");
    }
}
