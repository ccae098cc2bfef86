package dev.ltx4j.conformance;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Collects the outcome of every test whose display name starts with a clause tag such as {@code [list.order]} and
 * prints a table of clauses (PASS, FAIL, SKIP) when the test class finishes. A clause checked by several tests
 * passes only if all of them pass.
 */
public final class ClauseReport implements TestWatcher, AfterAllCallback {
    private static final Pattern TAG = Pattern.compile("^\\[([A-Za-z0-9._-]+)]");

    /** Outcome of one clause. */
    public enum Outcome { PASS, SKIP, FAIL }

    private static final Map<String, Map<String, Outcome>> RESULTS = new ConcurrentHashMap<>();

    /** The clause outcomes recorded so far for a test class (by its name), sorted by clause. */
    public static Map<String, Outcome> results(Class<?> testClass) {
        return Map.copyOf(RESULTS.getOrDefault(testClass.getName(), Map.of()));
    }

    /** The clause tag in a display name, if it has one. */
    public static Optional<String> clauseOf(String displayName) {
        Matcher m = TAG.matcher(displayName);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, Outcome.PASS);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, Outcome.FAIL);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, Outcome.SKIP);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        record(context, Outcome.SKIP);
    }

    private static void record(ExtensionContext context, Outcome outcome) {
        Optional<String> clause = clauseOf(context.getDisplayName());
        if (clause.isEmpty()) {
            return;
        }
        String cls = context.getRequiredTestClass().getName();
        RESULTS.computeIfAbsent(cls, k -> new ConcurrentHashMap<>())
                .merge(clause.get(), outcome, (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        print(context.getRequiredTestClass(), System.out);
    }

    /** Prints the clause table of a test class. */
    public static void print(Class<?> testClass, PrintStream out) {
        Map<String, Outcome> sorted = new TreeMap<>(results(testClass));
        List<String> lines = new ArrayList<>();
        int width = sorted.keySet().stream().mapToInt(String::length).max().orElse(6);
        lines.add("ReplicaClient conformance: " + testClass.getSimpleName());
        long pass = sorted.values().stream().filter(o -> o == Outcome.PASS).count();
        long fail = sorted.values().stream().filter(o -> o == Outcome.FAIL).count();
        long skip = sorted.values().stream().filter(o -> o == Outcome.SKIP).count();
        sorted.forEach((clause, outcome) -> lines.add(String.format("  %-" + width + "s  %s", clause, outcome)));
        lines.add(String.format("  %d clauses: %d pass, %d fail, %d skipped", sorted.size(), pass, fail, skip));
        out.println(String.join(System.lineSeparator(), lines));
    }
}
