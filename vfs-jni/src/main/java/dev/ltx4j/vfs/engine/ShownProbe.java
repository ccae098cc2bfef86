package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import java.util.Arrays;

/**
 * What this connection's SQLite holds as page 1's bytes 24..39 (its {@code dbFileVers}: change counter, size,
 * freelist) and the state its page cache is of. SQLite keeps its cache across read transactions while the probe of
 * those 16 bytes reads the same; a connection in {@code locking_mode=EXCLUSIVE} bumps the change counter only once per
 * lock, so its later commits leave the bytes as they were while the content changes. A probe of another state whose
 * bytes equal the ones SQLite holds therefore gets its change counter inverted, so SQLite drops its cache instead of
 * writing on stale pages (docs/concurrent-readers.md, "Change counter of another state").
 *
 * <p>It learns every way the bytes reach SQLite: probes and page 1 reads answered by Java, the pins whose probe C may
 * answer itself ({@link EngineVfsDatabase#committedHeaderShown()}), and the page 1 a committed transaction wrote.
 * One per connection, used by its one SQLite thread at a time.
 */
final class ShownProbe {
    static final int OFFSET = 24;
    static final int SIZE = 16;
    private final byte[] bytes = new byte[SIZE];
    /** The state SQLite's cache is of; null: unknown (the next probe is then altered, whatever its bytes). */
    private DatabaseVersion state;
    private boolean lastAltered;
    /** Bytes 24..39 of the page 1 the open write transaction wrote last; null: none written. */
    private byte[] written;
    /** The simulator's bug switch {@code unaltered-change-counter}: never alter (the behaviour before this class). */
    private final boolean neverAlter;

    ShownProbe(boolean neverAlter) {
        this.neverAlter = neverAlter;
    }

    /** Whether two versions are the same content (a different identity only costs SQLite a cache reload). */
    static boolean same(DatabaseVersion a, DatabaseVersion b) {
        return a != null && b != null && a.txid() == b.txid() && a.localSeq() == b.localSeq()
                && a.checksum() == b.checksum();
    }

    /** A probe of {@code v}: {@code b[at, at + 16)} as it goes to SQLite, altered here if it would hide a change. */
    void probe(DatabaseVersion v, byte[] b, int at) {
        lastAltered = mustAlter(v, b, at);
        if (lastAltered) {
            for (int i = at; i < at + 4; i++) b[i] = (byte) ~b[i];
        }
        seen(v, b, at);
    }

    /** Whether SQLite, shown {@code b[at, at + 16)} for {@code v}, would keep a cache of another state. */
    boolean mustAlter(DatabaseVersion v, byte[] b, int at) {
        if (neverAlter) return false;
        return state == null || !same(v, state) && Arrays.equals(bytes, 0, SIZE, b, at, at + SIZE);
    }

    /** SQLite now holds {@code b[at, at + 16)} and a cache of {@code v} (a probe or page 1 read shown unaltered). */
    void seen(DatabaseVersion v, byte[] b, int at) {
        System.arraycopy(b, at, bytes, 0, SIZE);
        state = v;
    }

    /** The last probe was altered: the VFS must not repeat it. */
    boolean lastAltered() {
        return lastAltered;
    }

    /** A new read begins. */
    void reading() {
        lastAltered = false;
    }

    /** The write transaction wrote page 1's first {@code n} bytes {@code b[0, n)}. */
    void wrote(byte[] b, int n) {
        if (n >= OFFSET + SIZE) written = Arrays.copyOfRange(b, OFFSET, OFFSET + SIZE);
    }

    /** The write transaction committed, making {@code v} (null: unknown): SQLite's cache is of it now. */
    void committed(DatabaseVersion v) {
        if (written != null) System.arraycopy(written, 0, bytes, 0, SIZE);
        written = null;
        state = v;
    }

    /** The write transaction ended without a commit: SQLite restores what it held before. */
    void rolledBack() {
        written = null;
    }

    /** A commit failed: what SQLite holds now is not known. */
    void unknown() {
        written = null;
        state = null;
    }

    /** The state SQLite's cache is of, as far as known. */
    DatabaseVersion state() {
        return state;
    }
}
