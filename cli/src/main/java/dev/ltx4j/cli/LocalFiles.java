package dev.ltx4j.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/** Command arguments that name a local file either as a path or as a {@code file:} URL. */
final class LocalFiles {
    private static final Pattern URL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*");

    private LocalFiles() {}

    /** Whether {@code arg} is written as a URL ({@code scheme://...}). */
    static boolean isUrl(String arg) {
        return URL.matcher(arg).matches();
    }

    /**
     * The local path {@code arg} names: itself, or the path of a {@code file:} URL ({@code file:///x}, {@code
     * file:/x}, {@code file://localhost/x}; spaces unencoded are accepted); null for another scheme's URL.
     */
    static Path path(String arg) {
        if (arg.toLowerCase(Locale.ROOT).startsWith("file:")) {
            String rest = arg.substring(5);
            if (rest.startsWith("//localhost/")) {
                rest = rest.substring("//localhost".length());
            } else if (rest.startsWith("///")) {
                rest = rest.substring(2);
            } else if (rest.startsWith("//")) {
                throw new IllegalArgumentException("\"" + arg + "\" names a file on another host; give a local path"
                        + " or file:///absolute/path");
            }
            try {
                return Path.of(URI.create("file:" + rest));
            } catch (IllegalArgumentException e) { // unencoded characters (spaces): take the path as written
                return Path.of(rest);
            }
        }
        return isUrl(arg) ? null : Path.of(arg);
    }
}
