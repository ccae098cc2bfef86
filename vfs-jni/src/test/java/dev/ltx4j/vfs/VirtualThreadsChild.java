package dev.ltx4j.vfs;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The JDK 21+ side of {@link VirtualThreadsTest}, started in a child JVM with two carrier threads. Compiled for
 * JDK 17, so virtual threads are reached by reflection. {@code <dir>}: four virtual threads insert through a
 * {@code durability=remote} data source while a fifth calls {@link LitestreamDatabase#syncNow()} and {@link
 * LitestreamDatabase#refresh()} over a replica whose creates take 20 ms (a store's round trip: the caller unmounts
 * while the engine's sync lock is held). Then the writers are interrupted ({@code shutdownNow}) and the executor
 * closed. Prints {@code done <acknowledged> <rows> <pending> <errors>}, or {@code stuck} with the threads' stacks and
 * exit 2 when nothing moved for 20 s.
 */
public final class VirtualThreadsChild {
    private static final int COMMITS = 40;
    private static final int CONTROL_CALLS = 4;

    private VirtualThreadsChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        if (args.length > 1 && args[1].equals("pragma")) {
            pragmaRefresh(dir);
            return;
        }
        LitestreamVfs.Registration vfs = LitestreamVfs.builder()
                .replica(new SlowCreates(Files.createDirectories(dir.resolve("replica"))), "slow:" + dir)
                .writeEnabled(true).durability(Durability.REMOTE).syncInterval(Duration.ofMillis(50))
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register("vthreads");
        Path db = dir.resolve("app.db");
        LitestreamDataSource ds = vfs.dataSource(db);
        try (Connection c = ds.getConnection()) {
            Sql.exec(c, "create table t(id integer primary key, v text)");
        }
        AtomicLong acked = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
        ExecutorService vts = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        try (LitestreamDatabase control = vfs.database(db)) {
            Future<?> controller = vts.submit(() -> {
                for (int i = 0; i < CONTROL_CALLS && !stop.get(); i++) {
                    try {
                        if (i % 2 == 0) control.syncNow(); else control.refresh();
                        calls.incrementAndGet();
                    } catch (SQLException e) {
                        count(errors, "control: " + e.getMessage());
                    }
                }
                return null;
            });
            for (int w = 0; w < 4; w++) {
                vts.submit(() -> {
                    // They stop at COMMITS: a virtual thread woken by a platform thread (the control call's) may
                    // wait long for a carrier while four writers keep both carriers pinned in remote commits.
                    while (!stop.get() && acked.get() < COMMITS) {
                        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                            s.executeUpdate("insert into t(v) values ('x')");
                            acked.incrementAndGet();
                            Thread.sleep(1); // a request's own wait: the thread unmounts between transactions
                        } catch (InterruptedException e) {
                            return null;
                        } catch (SQLException e) {
                            count(errors, e.getMessage());
                        }
                    }
                    return null;
                });
            }
            long last = -1;
            long lastMove = System.nanoTime();
            while (acked.get() < COMMITS || !controller.isDone()) {
                Thread.sleep(100);
                long now = acked.get() + calls.get();
                if (now != last) {
                    last = now;
                    lastMove = System.nanoTime();
                } else if (System.nanoTime() - lastMove > Duration.ofSeconds(20).toNanos()) {
                    System.out.println("stuck acknowledged=" + acked.get() + " control=" + calls.get());
                    Thread.getAllStackTraces().forEach((t, st) -> {
                        System.out.println(t.getName());
                        for (StackTraceElement e : st) System.out.println("  " + e);
                    });
                    System.out.flush();
                    Runtime.getRuntime().halt(2);
                }
            }
            controller.get();
            vts.shutdownNow(); // interrupts the writers, some inside a commit
            ((AutoCloseable) vts).close(); // ExecutorService.close(), JDK 19+
            stop.set(true);
            control.syncNow();
            long rows;
            try (Connection c = ds.getConnection()) {
                rows = Sql.number(c, "select count(*) from t");
            }
            // Errors are expected only from a refresh under an open transaction (run it again) and interrupted
            // remote commits (committed locally, uploaded by a later sync).
            errors.keySet().removeIf(m -> m.contains("refreshed") || m.contains("interrupt"));
            System.out.println("done " + acked.get() + " " + rows + " " + control.status().pendingCommits() + " "
                    + errors);
        }
        vfs.unregister();
    }

    /**
     * {@code <dir> pragma}, one carrier: a virtual thread holds a write transaction and sleeps (unmounted) while
     * another runs {@code PRAGMA litestream_refresh}. Prints {@code refresh <outcome>} and {@code holder <outcome>},
     * or {@code stuck} and exit 2 when they have not ended after 30 s.
     */
    private static void pragmaRefresh(Path dir) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer"))
                .register("vthreads-pragma");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("app.db"));
        try (Connection c = ds.getConnection()) {
            Sql.exec(c, "create table t(x)");
        }
        java.util.concurrent.CountDownLatch inTransaction = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean refreshStarted = new java.util.concurrent.atomic.AtomicBoolean();
        String[] outcome = new String[2];
        ExecutorService vts = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        Future<?> holder = vts.submit(() -> {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                Sql.exec(c, "insert into t values (1)");
                inTransaction.countDown();
                while (!refreshStarted.get()) Thread.sleep(10); // the pragma runs while this transaction is open
                Thread.sleep(200); // an application call inside the transaction: the thread unmounts
                Sql.exec(c, "insert into t values (2)");
                c.commit();
                outcome[1] = "committed";
            } catch (Exception e) {
                outcome[1] = "failed " + e.getMessage();
            }
            return null;
        });
        inTransaction.await();
        Future<?> refresh = vts.submit(() -> {
            try (Connection c = ds.getConnection()) {
                refreshStarted.set(true);
                Sql.exec(c, "pragma litestream_refresh");
                outcome[0] = "done";
            } catch (SQLException e) {
                outcome[0] = "failed " + e.getMessage();
            }
            return null;
        });
        try {
            holder.get(30, java.util.concurrent.TimeUnit.SECONDS);
            refresh.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("stuck: holder " + outcome[1] + ", refresh " + outcome[0]);
            System.out.flush();
            Runtime.getRuntime().halt(2);
        }
        System.out.println("refresh " + outcome[0]);
        System.out.println("holder " + outcome[1]);
        // An interrupted virtual thread with no other connection open: the pragma refreshes, the flag stays set.
        Future<String> interrupted = vts.submit(() -> {
            try (Connection c = ds.getConnection()) {
                Thread.currentThread().interrupt();
                Sql.exec(c, "pragma litestream_refresh");
                return "done, interrupt flag " + Thread.interrupted();
            } catch (SQLException e) {
                return "failed " + e.getMessage() + ", interrupt flag " + Thread.interrupted();
            }
        });
        System.out.println("interrupted refresh " + interrupted.get(30, java.util.concurrent.TimeUnit.SECONDS));
        vfs.unregister();
    }

    private static void count(Map<String, AtomicLong> errors, String message) {
        errors.computeIfAbsent(String.valueOf(message).split("\n")[0], k -> new AtomicLong()).incrementAndGet();
    }

    /** A file replica whose creates take 20 ms, as a store's round trip does (a virtual thread unmounts in it). */
    static final class SlowCreates implements ReplicaClient {
        private final FileReplicaClient files;

        SlowCreates(Path root) {
            this.files = new FileReplicaClient(root);
        }

        @Override
        public String type() {
            return "slow";
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            return files.listFiles(level, seekTxid, useMetadata);
        }

        @Override
        public InputStream openFile(int level, long minTxid, long maxTxid, long offset, long length)
                throws ReplicaException {
            return files.openFile(level, minTxid, maxTxid, offset, length);
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return files.createFile(level, minTxid, maxTxid, body);
        }

        @Override
        public void deleteFiles(Collection<LtxFileInfo> list) throws ReplicaException {
            files.deleteFiles(list);
        }

        @Override
        public void deleteAll() throws ReplicaException {
            files.deleteAll();
        }

        @Override
        public void close() {
            files.close();
        }
    }
}
