package dev.ltx4j.replica.support;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Lexical path cleaning with the semantics of Go's {@code path.Clean}, which Litestream applies to URL paths.
 * Reproducing it exactly keeps object keys identical to the ones Go writes ({@code ""} becomes {@code "."}).
 */
public final class GoPath {
    private GoPath() {}

    public static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.startsWith("/");
        Deque<String> kept = new ArrayDeque<>();
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (!kept.isEmpty() && !kept.peekLast().equals("..")) {
                    kept.removeLast();
                } else if (!rooted) {
                    kept.addLast("..");
                }
                continue;
            }
            kept.addLast(segment);
        }
        String joined = String.join("/", kept);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    /** Litestream's replica path from a URL path: {@code TrimPrefix(path.Clean(p), "/")}. */
    public static String replicaPath(String urlPath) {
        String cleaned = clean(urlPath);
        return cleaned.startsWith("/") ? cleaned.substring(1) : cleaned;
    }
}
