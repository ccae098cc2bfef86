package dev.ltx4j.syncer;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/** The syncer tests' SLF4J provider: keeps every message ("LEVEL logger message") in memory for assertions. */
final class CapturedLogs {
    private static final List<String> LINES = new ArrayList<>();

    private CapturedLogs() {}

    /** Forgets what was logged so far. */
    static synchronized void clear() {
        LINES.clear();
    }

    static synchronized List<String> lines() {
        return List.copyOf(LINES);
    }

    private static synchronized void add(String line) {
        if (LINES.size() > 10_000) {
            LINES.remove(0); // other tests log too; keep memory bounded
        }
        LINES.add(line);
    }

    /** Logs every level. */
    static final class CapturingLogger extends LegacyAbstractLogger {
        CapturingLogger(String name) {
            this.name = name;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                Throwable t) {
            add(level + " " + name + " " + MessageFormatter.basicArrayFormat(pattern, args)
                    + (t == null ? "" : " " + t));
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isErrorEnabled() { return true; }
    }

    /** Found through ServiceLoader (test resources). */
    public static final class Provider implements SLF4JServiceProvider {
        private final ILoggerFactory factory = CapturingLogger::new;
        private final IMarkerFactory markers = new BasicMarkerFactory();
        private final MDCAdapter mdc = new NOPMDCAdapter();

        @Override public ILoggerFactory getLoggerFactory() { return factory; }
        @Override public IMarkerFactory getMarkerFactory() { return markers; }
        @Override public MDCAdapter getMDCAdapter() { return mdc; }
        @Override public String getRequestedApiVersion() { return "2.0.99"; }
        @Override public void initialize() { }
    }
}
