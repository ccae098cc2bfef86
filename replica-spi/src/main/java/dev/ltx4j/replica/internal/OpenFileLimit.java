package dev.ltx4j.replica.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Names the open-file limit when a failure happened at it. The JDK reports EMFILE as a plain exception whose text is
 * the C library's "Too many open files" (translated under a non-English locale), naming the file but not the limit,
 * so an operator is left to guess ({@code ulimit -n}). The text is not matched: the process is asked instead (Linux
 * {@code /proc/self/limits} and {@code /proc/self/fd}); elsewhere this says nothing (docs/field-probes.md, round 7).
 */
public final class OpenFileLimit {
    /** Descriptors other threads may have closed between the failure and the count. */
    private static final int SLACK = 16;

    /**
     * Soft and hard limit as read when this class loaded ({@link #prime}): at the limit, reading them again needs the
     * descriptor there is none of. Re-read at each failure when possible (prlimit may have changed them).
     */
    private static volatile long[] primed = limits(Path.of("/proc/self/limits"));

    private OpenFileLimit() {}

    /** Reads the limits now, while a descriptor is free (an engine calls this when it opens a database). */
    public static void prime() {
        preloaded = Answer.class; // loaded now: at the limit a class not yet loaded from a directory fails to load
        if (primed == null) {
            primed = limits(Path.of("/proc/self/limits"));
        }
    }

    /**
     * For a failure with a JDK I/O exception in its causes (EMFILE and ENFILE surface as one): "the process has 1021
     * files open, at its open-file limit (RLIMIT_NOFILE soft 1024, hard 4096): ..." when the count is within a few
     * of the soft limit; otherwise null. Our own I/O exceptions (a conflict, a read-only refusal, any engine
     * failure) are not one: asking /proc costs up to milliseconds per failure on the thread that failed.
     */
    public static String explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IOException && t.getClass().getName().startsWith("java.")) {
                return cachedAtLimit();
            }
        }
        return null;
    }

    /** Times /proc was asked (tests: a failure that cannot be EMFILE does not ask). */
    static final java.util.concurrent.atomic.AtomicLong ASKED = new java.util.concurrent.atomic.AtomicLong();
    private static final long REUSE_NANOS = 1_000_000_000L;
    private static volatile Answer last;
    @SuppressWarnings("unused")
    private static volatile Class<?> preloaded;

    /** An answer of {@link #atLimit} and when it was given; {@code far}: the count was far below the limit. */
    private record Answer(long at, String note, boolean far) {}

    /**
     * {@link #atLimit}, reused for a second when it named the limit or the count was far below it (a burst of
     * failures asks once); near the limit it is asked again, so the failure that reaches it is named.
     */
    private static String cachedAtLimit() {
        Answer a = last;
        long now = System.nanoTime();
        if (a != null && now - a.at < REUSE_NANOS && (a.note != null || a.far)) {
            return a.note;
        }
        ASKED.incrementAndGet();
        long[] seen = new long[2];
        String note = atLimit(seen);
        last = new Answer(now, note, seen[1] > 0 && seen[0] >= 0 && seen[0] < seen[1] / 2);
        return note;
    }

    /** {@code message} with {@link #explain} appended when the process is at its limit. */
    public static String withLimit(String message, Throwable failure) {
        if (message != null && message.contains("RLIMIT_NOFILE")) {
            return message;
        }
        String limit = explain(failure);
        return limit == null ? message : message + "; " + limit;
    }

    /** The note when the descriptors open now are within a few of the soft limit, else null (or unknown). */
    static String atLimit() {
        return atLimit(new long[2]);
    }

    /** {@link #atLimit()}, leaving in {@code seen} the count open (-1: unknown) and the soft limit (0: unknown). */
    private static String atLimit(long[] seen) {
        seen[0] = -1;
        long[] limits = limits(Path.of("/proc/self/limits"));
        if (limits == null) {
            limits = primed;
            if (limits == null) {
                return null;
            }
        }
        seen[1] = limits[0];
        Path fds = Path.of("/proc/self/fd");
        long open = open(fds);
        seen[0] = open;
        if (open < 0 && Files.isDirectory(fds)) {
            // /proc is there but listing it failed: likely no descriptor was free to list it with; no count invented
            return describe(-1, limits[0], limits[1]);
        }
        if (open < 0 || open < limits[0] - SLACK) {
            return null;
        }
        return describe(open, limits[0], limits[1]);
    }

    static String describe(long open, long soft, long hard) {
        // A JVM raises its soft limit to the hard one at start (-XX:+MaxFDLimit, the default), so soft == hard is
        // the usual case in a JVM or a script host with the extension: only the hard limit can be raised then.
        String raise = hard > soft
                ? "raise the soft limit (ulimit -n " + text(hard) + " before starting the process; up to the hard "
                        + "limit) or the hard one"
                : "raise the hard limit (the JVM raises its soft limit to it at start)";
        String state = open < 0 ? "could not list /proc/self/fd (no descriptor free?), the process is likely at its"
                + " open-file limit" : "the process has " + open + " files open, at its open-file limit";
        return state + " (RLIMIT_NOFILE soft " + text(soft)
                + ", hard " + text(hard) + "): " + raise + " (as root: ulimit -Hn, LimitNOFILE= in a systemd unit,"
                + " --ulimit nofile= for docker), or open fewer databases at once (each write-mode database holds"
                + " about 4 descriptors)";
    }

    private static String text(long limit) {
        return limit == Long.MAX_VALUE ? "unlimited" : Long.toString(limit);
    }

    /** Soft and hard "Max open files" of a /proc limits file, or null. */
    static long[] limits(Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return new long[] {value(f[0]), value(f[1])};
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // no /proc (another OS, a hardened mount): say nothing rather than guess
        }
        return null;
    }

    private static long value(String s) {
        return s.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(s);
    }

    /** Entries of {@code dir} (/proc/self/fd), or -1. Listing it takes one descriptor, which stays within the slack. */
    private static long open(Path dir) {
        long n = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path ignored : entries) {
                n++;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return n;
    }
}
