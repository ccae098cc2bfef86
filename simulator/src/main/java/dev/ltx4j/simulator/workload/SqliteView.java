package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.vfs.EngineDatabaseOpener;
import dev.ltx4j.vfs.VfsDatabase;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Oracle for what SQLite sees of page 1 through the shipped VFS ({@link EngineDatabaseOpener#connection}), property
 * {@code sqlite-view}. The VFS supports rollback-journal modes only, so a page 1 stored in WAL format (file format
 * bytes 18/19 = 2, as every Litestream daemon replica has) must be shown with 1 there, or SQLite refuses to open
 * the database; and since a WAL-mode writer never advances the file change counter (bytes 24..27), the counter
 * shown must change whenever the content does, or SQLite in rollback mode keeps its stale page cache. Every other
 * byte is shown as stored, and the header reads SQLite makes (100 bytes at 0, 16 at 24) agree with the page.
 */
final class SqliteView {
    private static final int FORMAT = 18;
    private static final int COUNTER = 24;

    private final Clock clock;
    /** What one actor's database showed at its last check of a WAL-format page 1. */
    private record Shown(Database db, long digest, int counter) {}

    private final Map<String, Shown> lastShown = new HashMap<>();

    SqliteView(Clock clock) {
        this.clock = clock;
    }

    /** Checks {@code d}'s page 1 as SQLite sees it against {@code state}, the content {@code actor} just read. */
    void check(Database d, PageState state, String actor, String when) throws IOException {
        String who = actor + " " + when;
        byte[] stored = state.page(1);
        if (stored == null) {
            return;
        }
        int pageSize = stored.length;
        byte[] page = new byte[pageSize];
        byte[] header = new byte[100];
        byte[] counter = new byte[16];
        DatabaseRegistry registry = new DatabaseRegistry();
        registry.acquire("sqlite-view", "db", () -> d); // held and dropped, never closed: the run owns d
        try (VfsDatabase v = EngineDatabaseOpener.connection(registry.acquire("sqlite-view", "db", () -> d), clock)) {
            v.beginRead();
            v.read(ByteBuffer.wrap(header), 0);
            v.read(ByteBuffer.wrap(counter), COUNTER);
            v.read(ByteBuffer.wrap(page), 0);
            v.endRead();
        }
        if (!Arrays.equals(header, 0, 100, page, 0, 100) || !Arrays.equals(counter, 0, 16, page, COUNTER, COUNTER + 16)) {
            throw new InvariantViolation("sqlite-view", who + ": SQLite's header reads of page 1 disagree with the page");
        }
        boolean wal = stored[FORMAT] == 2 || stored[FORMAT + 1] == 2;
        for (int i = 0; i < pageSize; i++) {
            boolean format = i == FORMAT || i == FORMAT + 1;
            if (wal && i >= COUNTER && i < COUNTER + 4) {
                continue;
            }
            byte want = wal && format && stored[i] == 2 ? 1 : stored[i];
            if (page[i] != want) {
                throw new InvariantViolation("sqlite-view", who + " shows SQLite byte " + i + " of page 1 as "
                        + page[i] + ", stored " + stored[i] + (wal && format
                        ? ": a WAL-format page 1 must be shown in rollback-journal format (SQLite cannot open WAL here)"
                        : ""));
            }
        }
        if (!wal) {
            lastShown.remove(actor);
            return;
        }
        int shown = ByteBuffer.wrap(page, COUNTER, 4).getInt();
        Shown last = lastShown.put(actor, new Shown(d, state.digest, shown));
        // One open database (a reopened one starts with a new SQLite and so an empty page cache).
        if (last != null && last.db() == d && last.digest() != state.digest && last.counter() == shown) {
            throw new InvariantViolation("sqlite-view", who + " shows the same change counter " + shown
                    + " for different contents of a WAL-format database: SQLite would keep its stale page cache");
        }
    }
}
