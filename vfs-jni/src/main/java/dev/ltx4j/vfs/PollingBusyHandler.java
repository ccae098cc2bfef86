package dev.ltx4j.vfs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.BusyHandler;

/**
 * The busy handler of {@link LitestreamDataSource} connections: waits up to the busy timeout for a lock, retrying
 * every millisecond. SQLite's own handler backs off to one retry per 100 ms; a pool's writers that commit in a
 * millisecond or two then hand the write lock to each other while a backed-off waiter sleeps, and it can wait out
 * any timeout (issue 12: 10 s were not enough with four writer threads). Retrying at the pace of the commits
 * gives each waiter a chance at every hand-over. The timeout is measured in real time (SQLite's counts sleeps).
 */
final class PollingBusyHandler extends BusyHandler {
    private static final long FIRST_RETRIES_NANOS = 100_000;
    private static final long RETRY_NANOS = 1_000_000;

    private final long timeoutNanos;
    private long startedNanos;

    private PollingBusyHandler(long timeoutMillis) {
        this.timeoutNanos = timeoutMillis * 1_000_000;
    }

    /** Installs the handler on {@code c}, a sqlite-jdbc connection; a timeout of 0 fails at once, as SQLite's. */
    static void install(Connection c, long timeoutMillis) throws SQLException {
        if (timeoutMillis > 0) BusyHandler.setHandler(c, new PollingBusyHandler(timeoutMillis));
    }

    @Override
    protected int callback(int previousInvocations) {
        long now = System.nanoTime();
        if (previousInvocations == 0) startedNanos = now;
        long left = timeoutNanos - (now - startedNanos);
        if (left <= 0) return 0;
        LockSupport.parkNanos(Math.min(left, previousInvocations < 10 ? FIRST_RETRIES_NANOS : RETRY_NANOS));
        return 1;
    }
}
