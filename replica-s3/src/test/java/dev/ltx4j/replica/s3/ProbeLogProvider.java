package dev.ltx4j.replica.s3;

import java.util.Arrays;
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

/**
 * An SLF4J provider for {@link SdkDebugSecretsTest}'s child JVM (named with {@code -Dslf4j.provider}): every logger
 * at TRACE, except the prefixes in {@code probe.info} (at INFO) and {@code probe.warn} (at WARN), as an application's
 * logging configuration would set them; one line per event on stdout, {@code LEVEL logger message}, newlines escaped
 * so a multi-line message stays on its logger's line.
 */
public final class ProbeLogProvider implements SLF4JServiceProvider {
    private final List<String> info = split(System.getProperty("probe.info", ""));
    private final List<String> warn = split(System.getProperty("probe.warn", ""));

    private static List<String> split(String s) {
        return Arrays.stream(s.split(",")).filter(x -> !x.isBlank()).toList();
    }

    private Level min(String name) {
        if (warn.stream().anyMatch(name::startsWith)) {
            return Level.WARN;
        }
        return info.stream().anyMatch(name::startsWith) ? Level.INFO : Level.TRACE;
    }

    @Override public ILoggerFactory getLoggerFactory() { return name -> new Probe(name, min(name)); }
    @Override public IMarkerFactory getMarkerFactory() { return new BasicMarkerFactory(); }
    @Override public MDCAdapter getMDCAdapter() { return new NOPMDCAdapter(); }
    @Override public String getRequestedApiVersion() { return "2.0.99"; }
    @Override public void initialize() { }

    static final class Probe extends LegacyAbstractLogger {
        private final Level min;

        Probe(String name, Level min) {
            this.name = name;
            this.min = min;
        }

        private boolean on(Level l) {
            return l.toInt() >= min.toInt();
        }

        @Override public boolean isTraceEnabled() { return on(Level.TRACE); }
        @Override public boolean isDebugEnabled() { return on(Level.DEBUG); }
        @Override public boolean isInfoEnabled() { return on(Level.INFO); }
        @Override public boolean isWarnEnabled() { return on(Level.WARN); }
        @Override public boolean isErrorEnabled() { return on(Level.ERROR); }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                Throwable t) {
            if (!on(level)) {
                return;
            }
            String m = MessageFormatter.basicArrayFormat(pattern, args) + (t == null ? "" : " (" + t + ")");
            synchronized (System.out) {
                System.out.println(level + " " + name + " " + m.replace("\r", "\\r").replace("\n", "\\n"));
            }
        }
    }
}
