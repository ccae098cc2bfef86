package dev.ltx4j.pagestore.replica;

import dev.ltx4j.replica.LtxFileInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The header and page-index reads of a restore plan's files, up to {@code window} ahead of the one being applied, on
 * an executor: a cold open of a replica of 10,000 small files waits for 10,000 round trips one after another
 * otherwise. Results come back in plan order; the first failure is the plan's (the reads already started finish and
 * are dropped). With a direct executor (the simulator's) every read runs inline at submission, in order.
 */
final class PlanLoads implements AutoCloseable {
    interface Loader {
        LoadedFile load(LtxFileInfo info) throws IOException;
    }

    private final List<LtxFileInfo> plan;
    private final Loader loader;
    private final Executor executor;
    private final int window;
    private final Deque<CompletableFuture<LoadedFile>> ahead = new ArrayDeque<>();
    private int submitted;

    PlanLoads(List<LtxFileInfo> plan, Loader loader, Executor executor, int window) {
        this.plan = plan;
        this.loader = loader;
        this.executor = executor;
        this.window = Math.max(1, window);
    }

    /** The next plan file, loaded. */
    LoadedFile next() throws IOException {
        while (submitted < plan.size() && ahead.size() < window) {
            LtxFileInfo info = plan.get(submitted++);
            ahead.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return loader.load(info);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, executor));
        }
        CompletableFuture<LoadedFile> f = ahead.poll();
        if (f == null) {
            throw new IllegalStateException("no plan file left");
        }
        try {
            // join, not get: an open or refresh on an interrupted thread completes (the thread keeps its flag), as
            // every call of the VFS does (docs/field-probes.md, interrupts); the reads themselves have timeouts.
            return f.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException("reading a restore plan file failed", e);
        }
    }

    /** Drops the reads not consumed (a failure or an abandoned plan). */
    @Override
    public void close() {
        for (CompletableFuture<LoadedFile> f : ahead) {
            f.cancel(false);
        }
        ahead.clear();
    }
}
