package dev.ltx4j.replica.internal;

import dev.ltx4j.replica.ReplicaUrl;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileSystemException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place an exception becomes text for a user who is not reading Java: the extension's error messages
 * ({@code sqlite3_errmsg}, what the sqlite3 CLI, Python and JDBC print, {@code litestream_last_error}) and the
 * command line's error output. A plain sentence that names the offending thing, never starting with a Java class
 * name ({@code ReplicaTransientException: ...}, {@code java.io.IOException: ...}); the cause's words are kept. Logs
 * and stack traces keep the classes (docs/field-probes.md, "Round 9: leftovers").
 */
public final class UserMessages {
    /** "java.io.IOException: " or "ReplicaTransientException: " at the start of a text: a Throwable's toString. */
    private static final Pattern CLASS_PREFIX = Pattern.compile(
            "^(?:[a-z_][\\w$]*\\.)*[A-Z][\\w$]*(?:Exception|Error|Throwable|Failure): ");

    /** A URL inside free text: a scheme, {@code ://}, then up to a space, quote or bracket. */
    private static final Pattern URL_IN_TEXT = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s'\"<>()]*");

    /** {@code ?sig=...} or {@code &AccountKey=...}: the value of a query parameter whose name looks secret. */
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)([?&;][^=\\s&?;]*(?:key|secret|token|sig|pass|pwd|sas|credential|auth|session|x-amz-)[^=\\s&?;]*=)"
                    + "[^&\\s'\"<>()]+");

    private UserMessages() {}

    /** {@code e} as a sentence (a wrapper without words of its own gives its cause's). */
    public static String describe(Throwable e) {
        return own(unwrapped(e));
    }

    /** {@link #describe(Throwable)}, then the first cause's words it does not already hold, in parentheses. */
    public static String describeWithCause(Throwable e) {
        Throwable t = unwrapped(e);
        String text = own(t);
        int depth = 0;
        for (Throwable c = t.getCause(); c != null && c != t && depth < 4; c = c.getCause(), depth++) {
            // A cause may quote the raw input its wrapper redacted (URISyntaxException holds the whole URL).
            String more = redactUrls(own(unwrapped(c)));
            if (!text.contains(more)) {
                return text + " (" + more + ")";
            }
        }
        return text;
    }

    /** {@code text} with each URL in it redacted (user info, secret query values): {@link ReplicaUrl#redact}. */
    static String redactUrls(String text) {
        String urls = URL_IN_TEXT.matcher(text).replaceAll(m -> Matcher.quoteReplacement(ReplicaUrl.redact(m.group())));
        // A space in a malformed URL ends the match above: secret-looking query values anywhere are masked too.
        return SECRET_PARAM.matcher(urls).replaceAll("$1***");
    }

    /** A text without the Java class names a {@code toString()} put at its start. */
    public static String strip(String text) {
        if (text == null) {
            return "";
        }
        String s = text;
        for (int i = 0; i < 4; i++) {
            String next = CLASS_PREFIX.matcher(s).replaceFirst("");
            if (next.equals(s)) {
                break;
            }
            s = next;
        }
        return s;
    }

    /**
     * Wrappers that add no words of their own (their message is the cause's toString, or none). An
     * {@code UncheckedIOException} or {@code ExecutionException} with words of its own ("cannot set up the local copy
     * of database ...") keeps them; only {@code InvocationTargetException} is always a bare wrapper.
     */
    private static Throwable unwrapped(Throwable e) {
        Throwable t = e;
        for (int i = 0; i < 8 && t.getCause() != null && t.getCause() != t; i++) {
            boolean wrapper = t instanceof InvocationTargetException
                    || t.getMessage() == null || t.getMessage().equals(t.getCause().toString());
            if (!wrapper) {
                break;
            }
            t = t.getCause();
        }
        return t;
    }

    /** What {@code t} itself says. */
    private static String own(Throwable t) {
        if (t instanceof FileSystemException f) { // NIO says only the path: "no such file or directory: /x/out.db"
            String why = FileFailures.reason(f);
            return f.getFile() == null ? why : why + ": " + f.getFile()
                    + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
        }
        String m = strip(t.getMessage()).strip();
        if (t instanceof UnknownHostException) {
            return "unknown host" + (m.isEmpty() ? "" : " " + m);
        }
        if (t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError) {
            return "a class is missing from the class path: " + m.replace('/', '.');
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory" + (m.isEmpty() ? "" : " (" + m + ")");
        }
        if (t instanceof StackOverflowError) {
            return "stack overflow";
        }
        if (t instanceof InterruptedException || t instanceof ClosedByInterruptException) {
            return "interrupted" + (m.isEmpty() ? "" : ": " + m);
        }
        if (t instanceof AsynchronousCloseException) {
            return "closed by another thread" + (m.isEmpty() ? "" : ": " + m);
        }
        if (t instanceof ClosedChannelException) {
            return "the file was already closed" + (m.isEmpty() ? "" : ": " + m);
        }
        if (t instanceof EOFException) {
            return "unexpected end of file" + (m.isEmpty() ? "" : ": " + m);
        }
        if (t instanceof NullPointerException || t instanceof ClassCastException
                || t instanceof IndexOutOfBoundsException || t instanceof ArithmeticException
                || t instanceof AssertionError || t instanceof IllegalMonitorStateException) {
            // A defect of ltx4j: its class is the only clue, so it is kept, after words that say so.
            return "internal error (" + t.getClass().getName() + (m.isEmpty() ? "" : ": " + m) + "), please report it";
        }
        if (!m.isEmpty()) {
            return m;
        }
        return "failed without details (" + t.getClass().getSimpleName() + ")"; // the class is the only clue
    }
}
