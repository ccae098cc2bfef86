package dev.ltx4j.pagestore.replica;

import java.io.IOException;

/** A page could not be read from the replica; names the page and the file. */
public final class PageReadException extends IOException {
    private final long pgno;
    private final RemoteFile file;

    public PageReadException(long pgno, RemoteFile file, IOException cause) {
        super("cannot read page " + pgno + " from replica file " + file + ": " + cause.getMessage(), cause);
        this.pgno = pgno;
        this.file = file;
    }

    public long pgno() {
        return pgno;
    }

    public RemoteFile file() {
        return file;
    }
}
