package dev.ltx4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process through {@link Main#run} (the real entry point) and captures what it prints. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(rc, out.toString(), err.toString());
    }
}
