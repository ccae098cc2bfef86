package dev.ltx4j.ltx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pages inside a restored database that no file of the chain wrote: a file that grows the database without holding
 * every new page leaves them as zeros, as read mode serves them (docs/time-travel.md, "Sparse growth files"). Valid
 * files do that: SQLite never writes the freelist leaves a transaction allocates and frees again (secure_delete off),
 * and the reference Litestream encodes only the pages SQLite wrote. A damaged Commit looks the same, but every file is
 * verified whole before the next one is applied, so a damaged header is refused by its checksum first. What is left
 * is a page its writer lost: the restored state is only accepted when each page still unwritten at the end is a
 * freelist leaf of that state (SQLite never reads a leaf's content); any other is refused naming the file that grew
 * the database without it.
 */
final class UnwrittenPages {
    /** The header every SQLite database file starts with. */
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /** The file that grew the database without some of its new pages, for the refusal's text. */
    record Growth(String file, long from, long to, long held) {
        String text() {
            return "database grows from " + from + " to " + to + " pages but the file holds only " + held
                    + " of the new pages";
        }
    }

    /** Pages first..last (inclusive), left unwritten by {@code by}. */
    private record Run(long first, long last, Growth by) {}

    private final TreeMap<Long, Run> runs = new TreeMap<>();
    private final long lockPgno;

    UnwrittenPages(int pageSize) {
        this.lockPgno = Ltx.lockPgno(pageSize);
    }

    boolean isEmpty() {
        return runs.isEmpty();
    }

    /** Records pages first..last (the lock page aside, never written) as left unwritten by {@code by}. */
    void add(long first, long last, Growth by) {
        if (first <= lockPgno && lockPgno <= last) {
            put(first, lockPgno - 1, by);
            put(lockPgno + 1, last, by);
        } else {
            put(first, last, by);
        }
    }

    private void put(long first, long last, Growth by) {
        if (first <= last) {
            runs.put(first, new Run(first, last, by));
        }
    }

    /** Page {@code pgno} was written: no longer unwritten. */
    void written(long pgno) {
        Map.Entry<Long, Run> e = runs.floorEntry(pgno);
        if (e == null || e.getValue().last < pgno) {
            return;
        }
        Run r = e.getValue();
        runs.remove(r.first);
        put(r.first, pgno - 1, r.by);
        put(pgno + 1, r.last, r.by);
    }

    /** The database now has {@code commit} pages: those above are gone. */
    void truncate(long commit) {
        while (!runs.isEmpty() && runs.lastEntry().getValue().last > commit) {
            Run r = runs.pollLastEntry().getValue();
            put(r.first, Math.min(r.last, commit), r.by);
        }
    }

    /** Whether the database in {@code ch} is a SQLite database (its page 1 starts with the SQLite header). */
    static boolean isSqlite(FileChannel ch) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(SQLITE_MAGIC.length);
        while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
            // read the header
        }
        return !head.hasRemaining() && Arrays.equals(head.array(), SQLITE_MAGIC);
    }

    /** The freelist's page count in page 1's header (offset 36) of the SQLite database in {@code ch}. */
    static long freeCount(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        read(ch, b, 36);
        return Integer.toUnsignedLong(b.getInt(0));
    }

    /**
     * Refuses the restored state unless every page still unwritten is a freelist leaf of the SQLite database in
     * {@code ch} ({@code commit} pages of {@code pageSize}): walks the freelist's trunk pages from page 1's header.
     */
    void checkFreelist(FileChannel ch, int pageSize, long commit) throws IOException {
        if (runs.isEmpty()) {
            return;
        }
        if (isSqlite(ch)) {
            ByteBuffer page = ByteBuffer.allocate(pageSize);
            read(ch, page, 0);
            long trunk = Integer.toUnsignedLong(page.getInt(32));
            long free = Integer.toUnsignedLong(page.getInt(36));
            int maxLeaves = pageSize / 4 - 2;
            // At most one trunk per free page (and never more than the database has); a trunk seen before is a
            // loop (a damaged freelist): the walk ends there, and what it did not reach is refused below.
            Set<Long> seenTrunks = new HashSet<>();
            for (long seen = 0; trunk >= 1 && trunk <= commit && seen < Math.min(free, commit)
                    && seenTrunks.add(trunk); seen++) {
                read(ch, page, (trunk - 1) * pageSize);
                long leaves = Math.min(Integer.toUnsignedLong(page.getInt(4)), maxLeaves);
                for (int i = 0; i < leaves; i++) {
                    written(Integer.toUnsignedLong(page.getInt(8 + 4 * i))); // a leaf: fine as zeros
                }
                trunk = Integer.toUnsignedLong(page.getInt(0));
            }
        }
        if (runs.isEmpty()) {
            return;
        }
        Run r = runs.firstEntry().getValue();
        long count = runs.values().stream().mapToLong(x -> x.last - x.first + 1).sum();
        throw new LtxFormatException(r.by.file(), "page", r.by.text() + ", and page " + r.first + (count > 1
                ? " (and " + (count - 1) + " more)" : "") + ", written by no later file, is not a free page of the"
                + " restored database" + (isSqlite(ch) ? "" : " (not a SQLite database: no freelist tells)")
                + ": the file lost a page the database needs");
    }

    private static void read(FileChannel ch, ByteBuffer page, long pos) throws IOException {
        page.clear();
        while (page.hasRemaining()) {
            if (ch.read(page, pos + page.position()) < 0) {
                Arrays.fill(page.array(), page.position(), page.limit(), (byte) 0); // past the end: zeros
                break;
            }
        }
        page.clear();
    }
}
