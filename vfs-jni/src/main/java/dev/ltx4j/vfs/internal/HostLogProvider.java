package dev.ltx4j.vfs.internal;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
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
 * The SLF4J provider of sqlite3/python hosts (the native library names it with {@code -Dslf4j.provider} when it
 * boots the JVM; Java applications keep their own). Silent unless {@code LITESTREAM_LOG_LEVEL} (trace, debug,
 * info, warn, error, off; anything else means info) or {@code LITESTREAM_LOG_FILE} (appended to; the level is then
 * info unless set) is set: then it writes {@code time LEVEL logger message} lines to stderr or that file. Never
 * stdout, which belongs to the host's query results. Loggers outside {@code dev.ltx4j} are held to warn and above:
 * the SDKs' HTTP clients log request headers (credentials) at debug. Every line passes {@link LogRedaction}, which
 * masks credentials whatever logger wrote them (docs/credentials.md, "Logs").
 */
public final class HostLogProvider implements SLF4JServiceProvider {
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();
    private ILoggerFactory factory;

    /** Minimum level from the environment values; null means off. */
    static Level level(String level, String file) {
        if (level == null || level.isBlank()) {
            return file == null || file.isBlank() ? null : Level.INFO;
        }
        return switch (level.strip().toLowerCase(Locale.ROOT)) {
            case "off", "none" -> null;
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "warn", "warning" -> Level.WARN;
            case "error" -> Level.ERROR;
            default -> Level.INFO;
        };
    }

    @Override
    public void initialize() {
        String file = System.getenv("LITESTREAM_LOG_FILE");
        Level min = level(System.getenv("LITESTREAM_LOG_LEVEL"), file);
        factory = min == null ? name -> new HostLogger(name, null, null) : new Sink(min, file)::logger;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    /** Where lines go: stderr, or the file (opened on the first line; stderr if it cannot be opened). */
    static final class Sink {
        /** The Azure SDK's adapter to the JDK's HttpClient: held to ERROR (its only warning is per-request noise). */
        static final String AZURE_JDK_CLIENT = "com.azure.core.http.jdk.httpclient.JdkHttpClient";
        private final Level min;
        private final String file;
        private final LogRedaction redaction;
        private PrintStream out;

        Sink(Level min, String file) {
            this(min, file, LogRedaction.fromEnvironment());
        }

        Sink(Level min, String file, LogRedaction redaction) {
            this.min = min;
            this.file = file == null || file.isBlank() ? null : file;
            this.redaction = redaction;
        }

        HostLogger logger(String name) {
            // Other libraries (the S3 and Azure SDKs, their HTTP clients) log request headers at debug, which
            // carry credentials: they get warnings and errors only, whatever the level.
            boolean ours = name.startsWith("dev.ltx4j.");
            if (name.equals(AZURE_JDK_CLIENT) && min.toInt() < Level.ERROR.toInt()) {
                // Warns on every request that the JDK client sets content-length itself (field probes, round 6).
                return new HostLogger(name, Level.ERROR, this);
            }
            return new HostLogger(name, ours || min.toInt() >= Level.WARN.toInt() ? min : Level.WARN, this);
        }

        synchronized void write(String line) {
            if (out == null) {
                out = open();
            }
            out.println(redaction.apply(line));
            out.flush();
        }

        private PrintStream open() {
            if (file == null) {
                return System.err;
            }
            try {
                OutputStream o = new FileOutputStream(file, true);
                return new PrintStream(o, false, StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("litestream: cannot open LITESTREAM_LOG_FILE " + file + " (" + e.getMessage()
                        + "); logging to stderr");
                return System.err;
            }
        }
    }

    /** A logger that writes levels at or above {@code min} to the sink; {@code min == null} writes nothing. */
    static final class HostLogger extends LegacyAbstractLogger {
        private final Level min;
        private final Sink sink;

        HostLogger(String name, Level min, Sink sink) {
            this.name = name;
            this.min = min;
            this.sink = sink;
        }

        private boolean on(Level l) {
            return min != null && l.toInt() >= min.toInt();
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
            String message = MessageFormatter.basicArrayFormat(pattern, args);
            // Only the throwable's type and message: stack traces are noise on a CLI host.
            sink.write(Instant.now() + " " + level + " " + name + " " + message + (t == null ? "" : " (" + t + ")"));
        }
    }
}
