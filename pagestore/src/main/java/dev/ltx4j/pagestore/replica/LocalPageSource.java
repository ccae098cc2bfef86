package dev.ltx4j.pagestore.replica;

/**
 * A local store of replica pages the {@link PageReader} asks after its memory cache and before the replica: a
 * hydrated copy of the database ({@link Hydrator}) or the persistent on-disk page cache ({@link DiskPageCache}).
 * Implementations must never answer with bytes that are not exactly the image {@code rp} holds for {@code pgno}
 * (the image of the pinned version {@code v}); when in doubt they answer false and the reader goes to the replica.
 * Thread-safe; called on every reader's thread.
 */
public interface LocalPageSource {
    /**
     * Copies page {@code pgno} of version {@code v}, whose frame is {@code rp}, into {@code dst[0, pageSize)}.
     *
     * @return true when {@code dst} now holds the page; false (dst contents undefined) to read it elsewhere
     */
    boolean read(DatabaseVersion v, long pgno, RemotePage rp, byte[] dst);

    /** Offers a page the reader obtained elsewhere (decoded and verified), for stores that keep copies. */
    default void offer(long pgno, RemotePage rp, byte[] page) {}
}
