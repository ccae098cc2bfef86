package dev.ltx4j.cli;

import java.io.PrintStream;

/**
 * Progress for long imports and restores: a line rewritten in place on a terminal, nothing when output is piped
 * or redirected (scripts get only the final result).
 */
final class Progress {
    private final PrintStream out;
    private final boolean enabled;
    private long lastPrintNanos;

    private Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    static Progress onTerminal(PrintStream err) {
        return new Progress(err, System.console() != null);
    }

    static Progress silent() {
        return new Progress(System.err, false);
    }

    /** Whether anything is shown (a terminal): commands skip work done only for the progress line. */
    boolean enabled() {
        return enabled;
    }

    void update(String what, long done, long total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastPrintNanos < 100_000_000L) {
            return;
        }
        lastPrintNanos = now;
        int pct = total == 0 ? 100 : (int) (done * 100 / total);
        out.print("\r" + what + " " + done + "/" + total + " (" + pct + "%)");
        if (done >= total) {
            out.println();
        }
        out.flush();
    }
}
