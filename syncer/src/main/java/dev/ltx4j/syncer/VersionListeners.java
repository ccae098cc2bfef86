package dev.ltx4j.syncer;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who hears of a change of what a new pin would see: the page listeners before it is published (the VFS's native
 * page view) and the version listeners after it (the VFS's version stamp; docs/concurrent-readers.md). Only
 * {@link PublishedVersions} tells them, in the changing thread under its {@code stateLock}, so every change is heard
 * before it is acknowledged to anyone (a commit returns after it). Holds only the two listener lists.
 */
final class VersionListeners {
    /** Told before each change is published, with the pages it changes; see {@link Database#onPagesChanging}. */
    private final CopyOnWriteArrayList<Database.PageChangeListener> pageListeners = new CopyOnWriteArrayList<>();
    /** Told of every change a new pin would see; see {@link Database#onVersionChange}. */
    private final CopyOnWriteArrayList<Runnable> versionListeners = new CopyOnWriteArrayList<>();

    void onPagesChanging(Database.PageChangeListener listener) {
        pageListeners.add(listener);
    }

    void onChange(Runnable listener) {
        versionListeners.add(listener);
    }

    /**
     * Tells the page listeners that a change is about to be published: {@code pages} change (null: any page may).
     * Under stateLock, before any field a pin reads is swapped (docs/concurrent-readers.md, "Native page view").
     */
    void pagesChanging(long[] pages) {
        for (Database.PageChangeListener l : pageListeners) {
            l.changing(pages);
        }
    }

    /**
     * Tells the version listeners that what a new pin sees may have changed. Under stateLock where the change is,
     * so before the change is acknowledged to anyone.
     */
    void announce() {
        for (Runnable r : versionListeners) {
            r.run();
        }
    }

    /** The database closed: no change follows (under stateLock, after the last announcement). */
    void closed() {
        for (Database.PageChangeListener l : pageListeners) {
            l.closed();
        }
    }
}
