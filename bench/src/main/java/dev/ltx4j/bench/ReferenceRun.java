package dev.ltx4j.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference extension (npm {@code litestream-vfs-linux-amd64@0.5.17}, Go) measured through the same counting
 * proxy: Debian's {@code /usr/bin/python3} loads it, {@code LITESTREAM_REPLICA_URL} names the proxy. The script prints
 * a marker line after each phase; the proxy's log is drained at each marker, so a phase is billed exactly. Idle
 * follower (1 and 4 connections) on the replica the ltx4j writer left; a writer at the same rate on a fresh path
 * (the reference's writer is known to fail within a connection after its first sync, flaw W1: reported as it goes).
 */
final class ReferenceRun {
    private static final String SCRIPT = String.join("\n",
            "import sqlite3, sys, time",
            "loader = sqlite3.connect(':memory:')",
            "loader.enable_load_extension(True)",
            "loader.load_extension(sys.argv[1])",
            "loader.close()",
            "mode, seconds, n, rate = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])",
            "cs = [sqlite3.connect('file:ref.db?vfs=litestream', uri=True, isolation_level=None) for _ in range(n)]",
            "if mode == 'follow':",
            "    for c in cs:",
            "        c.execute('SELECT count(*) FROM t').fetchone()",
            "    print('OPENED', flush=True)",
            "    time.sleep(1.5)",
            "    print('START', flush=True)",
            "    time.sleep(seconds)",
            "    print('DONE', flush=True)",
            "else:",
            "    c = cs[0]",
            "    c.execute('CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)')",
            "    time.sleep(1.5)",
            "    print('START', flush=True)",
            "    t0 = time.monotonic()",
            "    done = 0",
            "    try:",
            "        for i in range(int(rate * seconds)):",
            "            due = t0 + i / rate",
            "            if due > time.monotonic():",
            "                time.sleep(due - time.monotonic())",
            "            c.execute('INSERT INTO t(v) VALUES (?)', ('row %d of the request economy benchmark' % i,))",
            "            done += 1",
            "        time.sleep(2)",
            "        print('DONE %d' % done, flush=True)",
            "        time.sleep(seconds)",
            "        print('IDLE', flush=True)",
            "    except Exception as e:",
            "        print('FAILED %d %s' % (done, str(e).replace(chr(10), ' ')), flush=True)",
            "");

    private final EconomyStores store;
    private final Path so;
    private final Path work;
    private final int seconds;
    private final int rate;
    private final RequestTally tally;

    ReferenceRun(EconomyStores store, Path so, Path work, int seconds, int rate, RequestTally tally) {
        this.store = store;
        this.so = so;
        this.work = work;
        this.seconds = seconds;
        this.rate = rate;
        this.tally = tally;
    }

    void run() throws Exception {
        if (!store.type().equals("s3")) {
            // Measured on S3 only: with an abs:// URL naming Azurite's endpoint the 0.5.17 extension fails to open
            // ("SQL logic error") in read mode and hangs in write mode.
            System.err.println("reference: measured on s3 only, skipped on " + store.type());
            return;
        }
        if (!Files.isRegularFile(so) || !Files.isExecutable(Path.of("/usr/bin/python3"))) {
            System.err.println("reference: skipped (needs " + so + " and /usr/bin/python3)");
            return;
        }
        for (int connections : List.of(1, 4)) {
            python("follow", "writer", connections);
        }
        python("write", "reference-writer", 1);
    }

    private void python(String mode, String path, int connections) throws Exception {
        Path cwd = Files.createDirectories(work.resolve("ref-" + store.type() + "-" + mode + "-" + connections));
        Path script = cwd.resolve("ref.py");
        Files.writeString(script, SCRIPT);
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), so.toString(), mode,
                Integer.toString(seconds), Integer.toString(connections), Integer.toString(rate))
                .directory(cwd.toFile()).redirectError(cwd.resolve("stderr.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_") || k.startsWith("AWS_"));
        pb.environment().putAll(store.referenceEnvironment());
        pb.environment().put("LITESTREAM_REPLICA_URL", store.url(path));
        pb.environment().put("LITESTREAM_LOG_FILE", cwd.resolve("ref.log").toString());
        if (mode.equals("write")) {
            pb.environment().put("LITESTREAM_WRITE_ENABLED", "true");
            pb.environment().put("LITESTREAM_BUFFER_PATH", cwd.resolve("buffer").toString());
        }
        String label = store.type() + " (reference 0.5.17)";
        store.proxy.drain();
        long t0 = System.nanoTime();
        Process p = pb.start();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(4L * seconds + 60, TimeUnit.SECONDS)) {
                    System.err.println("reference " + mode + " did not finish in time; stopped it");
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }, "reference-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                double elapsed = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                String who = connections + " connection" + (connections > 1 ? "s" : "");
                if (line.equals("OPENED")) {
                    tally.add(label, store, "cold open + first query, read mode, " + who, elapsed, 1, "open", store.proxy.drain());
                } else if (line.equals("START")) {
                    store.proxy.drain();
                } else if (line.equals("DONE")) {
                    tally.add(label, store, "follower idle, read mode, " + who, elapsed, seconds, "s", store.proxy.drain());
                } else if (line.startsWith("DONE ")) {
                    List<CountingHttpProxy.Exchange> writing = store.proxy.drain();
                    tally.add(label, store, "writing: " + line.substring(5) + " inserts at " + rate + "/s, then 2 s",
                            elapsed, writing.stream().filter(store::isLevelZeroCreate).count(), "sync", writing);
                } else if (line.equals("IDLE")) {
                    tally.add(label, store, "writer idle", elapsed, seconds, "s", store.proxy.drain());
                } else if (line.startsWith("FAILED")) {
                    List<CountingHttpProxy.Exchange> writing = store.proxy.drain();
                    tally.add(label, store, "writing: " + line, elapsed,
                            writing.stream().filter(store::isLevelZeroCreate).count(), "sync", writing);
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        if (p.exitValue() != 0) {
            System.err.println("reference " + mode + " exited with " + p.exitValue() + "; see " + cwd);
        }
    }
}
