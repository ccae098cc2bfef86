package dev.ltx4j.vfs.engine;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.PointInTime;
import dev.ltx4j.syncer.ReadOnlyDatabaseException;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.TimeSpec;
import dev.ltx4j.syncer.TimeTravelException;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * One connection's {@code PRAGMA litestream_time} / {@code litestream_set_time()} (docs/time-travel.md). A setting
 * is resolved to a {@link PointInTime} when it is made (so a bad time, a future one or one before the retained
 * history fails the statement that sets it) and takes effect at the connection's next read transaction: set inside
 * an open one, it waits for it to end. While a time is in effect the connection is read-only.
 *
 * <p>Used by the connection's one SQLite thread at a time, like the rest of its {@link EngineVfsDatabase}.
 */
final class ConnectionTimeTravel {
    static final String PRAGMA = "litestream_time";
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private final Database db;
    private final Clock clock;
    /** The point the current (or, outside one, the next) read transaction reads; null: the latest state. */
    private PointInTime effective;
    /** A setting made inside a read transaction, applied at the next one. */
    private boolean pending;
    private PointInTime pendingPoint;
    /** The point of the current read transaction when it reads the past; null otherwise. */
    private PointInTime reading;

    ConnectionTimeTravel(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * {@code PRAGMA litestream_time = value}: resolves it now, applies it at once or, inside a read transaction, at
     * the next one.
     *
     * @return the commit time of the state the setting reads (RFC 3339), or {@code latest}
     */
    String set(String value, boolean inReadTransaction, boolean inWriteTransaction) throws IOException {
        if (inWriteTransaction) {
            throw new IllegalArgumentException(PRAGMA + " cannot change inside a write transaction; commit or roll"
                    + " back first");
        }
        Instant now = clock.instant();
        Optional<Instant> target;
        try {
            target = TimeSpec.parse(value, now);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PRAGMA + ": " + e.getMessage(), e);
        }
        PointInTime point = null;
        if (target.isPresent()) {
            try {
                point = db.timeTravel().resolve(target.get(), now);
            } catch (TimeTravelException e) {
                throw new IllegalArgumentException(PRAGMA + " '" + value + "': " + e.getMessage(), e);
            }
        }
        if (inReadTransaction) {
            pending = true;
            pendingPoint = point;
        } else {
            pending = false;
            effective = point;
        }
        return point == null ? "latest" : format(point.commitTime());
    }

    /**
     * A read transaction begins: applies a pending setting and pins the past state, or returns null for the latest
     * state (the caller pins it). A point of a replica since replaced is resolved again.
     */
    ReadTransaction beginRead() throws IOException {
        if (pending) {
            pending = false;
            effective = pendingPoint;
            pendingPoint = null;
        }
        reading = null;
        if (effective == null) {
            return null;
        }
        if (effective.lineage() != db.lineage()) {
            effective = db.timeTravel().resolve(effective.target(), clock.instant());
        }
        ReadTransaction t = db.timeTravel().beginRead(effective);
        reading = effective;
        return t;
    }

    /** The read transaction ended. */
    void endRead() {
        reading = null;
    }

    /** Refuses a write while the connection reads the past (its current read transaction, or the next one). */
    void checkWritable(boolean inReadTransaction) throws ReadOnlyDatabaseException {
        PointInTime p = inReadTransaction ? reading : (pending ? pendingPoint : effective);
        if (p == null) {
            return;
        }
        throw new ReadOnlyDatabaseException("attempt to write a readonly database: " + PRAGMA + " is set to "
                + format(p.target()) + ", so this connection reads the database as of TXID " + Txid.format(p.txid())
                + " (committed " + format(p.commitTime()) + ") and cannot write; PRAGMA " + PRAGMA
                + " = 'latest' to write again");
    }

    /**
     * {@code litestream_time()}: the commit time of the state the current read transaction reads ({@code txid}),
     * else of the state the next one will read; {@code latest} when nothing is in the replica yet.
     */
    String report(ReadTransaction pin) throws IOException {
        PointInTime p = pin != null ? reading : (pending ? pendingPoint : effective);
        if (p != null) {
            return format(p.commitTime());
        }
        long txid = pin != null ? pin.txid() : db.current().txid();
        Optional<Instant> t = db.timeTravel().commitTime(txid);
        return t.map(ConnectionTimeTravel::format).orElse("latest");
    }

    /** The TXID the next read transaction reads: the point set, else {@code latest}. */
    long nextTxid(long latest) {
        PointInTime p = pending ? pendingPoint : effective;
        return p == null ? latest : p.txid();
    }

    /** The target set, as given resolved to an instant, or {@code latest}. */
    String target() {
        PointInTime p = pending ? pendingPoint : effective;
        return p == null ? "latest" : format(p.target());
    }

    /** Go's RFC 3339 with nanoseconds (trailing zeros dropped), as the reference formats {@code litestream_time}. */
    static String format(Instant t) {
        String base = SECONDS.format(t);
        if (t.getNano() == 0) {
            return base + "Z";
        }
        return base + "." + String.format("%09d", t.getNano()).replaceAll("0+$", "") + "Z";
    }
}
