package dev.ltx4j.simulator.workload;

import dev.ltx4j.syncer.ConflictException;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import dev.ltx4j.vfs.ReplicaConflictException;
import dev.ltx4j.vfs.VfsDatabase;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;

/**
 * One SQLite connection's handle on an engine {@link Database} that the simulation owns (built on its clock,
 * disk and object store). The VFS module's own engine handle opens its database from a replica URL, so the
 * simulation supplies this small adapter instead: reads pinned per SQLite read lock, writes through the
 * engine's single write session, closing the handle leaves the database open.
 */
final class SimVfsDatabase implements VfsDatabase {
    private final Database db;
    private final Clock clock;
    private ReadTransaction pin;
    private WriteSession session;
    private boolean writeLocked;
    private byte[] scratch = new byte[65536];

    SimVfsDatabase(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    private byte[] scratch(int n) {
        if (scratch.length < n) scratch = new byte[n];
        return scratch;
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        int len = dst.remaining();
        byte[] b = scratch(len);
        int n;
        if (session != null) {
            n = session.read(offset, b, 0, len);
        } else if (pin != null) {
            n = pin.read(offset, b, 0, len);
        } else {
            try (ReadTransaction t = db.beginRead()) {
                n = t.read(offset, b, 0, len);
            }
        }
        dst.put(b, 0, n);
        return n;
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        ensureSession("write at offset " + offset);
        int len = src.remaining();
        byte[] b = scratch(len);
        src.get(b, 0, len);
        session.write(offset, b, 0, len);
    }

    @Override
    public void truncate(long size) throws IOException {
        ensureSession("truncate to " + size);
        session.truncate(size);
    }

    private void ensureSession(String what) throws IOException {
        if (session == null && writeLocked) startSession();
        if (session == null) throw new IOException(what + " outside a write transaction");
    }

    private void startSession() throws IOException {
        try {
            session = db.beginWrite();
        } catch (ConflictException e) {
            ReplicaConflictException c = new ReplicaConflictException(e.getMessage());
            c.initCause(e);
            throw c;
        }
    }

    @Override
    public long size() {
        if (session != null) return session.sizeBytes();
        if (pin != null) return pin.sizeBytes();
        return db.current().sizeBytes();
    }

    @Override
    public void sync(boolean full) {
        // the engine makes each commit durable in WriteSession.commit()
    }

    @Override
    public void beginRead() {
        releasePin();
        pin = db.beginRead();
    }

    @Override
    public void endRead() {
        releasePin();
    }

    private void releasePin() {
        if (pin != null) {
            pin.close();
            pin = null;
        }
    }

    @Override
    public void beginWrite() throws IOException {
        writeLocked = true;
        startSession();
    }

    @Override
    public void beforeCommit() throws IOException {
        if (db.status().conflict() != null) throw new ReplicaConflictException(db.status().conflict().message());
    }

    @Override
    public void commit() throws IOException {
        WriteSession s = session;
        session = null;
        if (s == null) return;
        try {
            s.commit();
        } finally {
            repin();
        }
    }

    @Override
    public void rollback() throws IOException {
        WriteSession s = session;
        session = null;
        try {
            if (s != null) s.rollback();
        } finally {
            repin();
        }
    }

    @Override
    public void endWrite() throws IOException {
        writeLocked = false;
        WriteSession s = session;
        session = null;
        if (s != null) s.rollback();
    }

    private void repin() {
        if (pin != null) {
            pin.close();
            pin = db.beginRead();
        }
    }

    @Override
    public String txid() {
        return Long.toHexString(pin != null ? pin.txid() : db.current().txid());
    }

    @Override
    public String time() {
        return "latest";
    }

    @Override
    public long lag() {
        return -1;
    }

    @Override
    public String syncNow() throws IOException {
        SyncOutcome o = db.syncOnce(clock.instant());
        if (o.error() != null) throw new IOException("sync failed: " + o.error().getMessage(), o.error());
        return Long.toHexString(db.current().txid());
    }

    @Override
    public String statusJson() {
        return db.status().toJson();
    }

    @Override
    public boolean atomicCommits() {
        return true;
    }

    @Override
    public int deviceCharacteristics() {
        return 0x1000; // SQLITE_IOCAP_POWERSAFE_OVERWRITE: the engine stores whole pages
    }

    @Override
    public void close() throws IOException {
        releasePin();
        WriteSession s = session;
        session = null;
        if (s != null) s.rollback();
    }
}
