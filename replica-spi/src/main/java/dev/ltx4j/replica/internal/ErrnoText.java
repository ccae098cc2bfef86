package dev.ltx4j.replica.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Recognises an errno in a JDK exception's text. The JDK passes on only the C library's {@code strerror} text, which
 * is translated once the JVM has set the process's locale from {@code LANG}/{@code LC_ALL} (it does at start, in a
 * JVM host and in a sqlite3 or Python host alike): under {@code de_DE.UTF-8} ENOSPC reads "Auf dem Gerät ist kein
 * Speicherplatz mehr verfügbar". So a text matches an errno by its English text or by its translation in the C
 * library's message catalog ({@code libc.mo}) of the languages the environment names, read once when first asked
 * (docs/field-probes.md, "Round 9: leftovers"). Without a catalog only the English text matches, as before.
 */
public final class ErrnoText {
    /** The errnos ltx4j tells apart, with glibc's English text (its catalog key). */
    public enum Errno {
        ENOSPC("No space left on device"),
        EDQUOT("Disk quota exceeded"),
        ENOLCK("No locks available"),
        EOPNOTSUPP("Operation not supported"),
        ENOSYS("Function not implemented");

        final String english;

        Errno(String english) {
            this.english = english;
        }
    }

    private static final List<Path> LOCALE_DIRS = List.of(Path.of("/usr/share/locale"),
            Path.of("/usr/share/locale-langpack"));
    private static volatile Map<Errno, Set<String>> texts;

    private ErrnoText() {}

    /** Whether {@code message} holds the text of {@code errno}, in English or the process's language (any case). */
    public static boolean mentions(String message, Errno errno) {
        if (message == null) {
            return false;
        }
        String lower = message.toLowerCase(Locale.ROOT);
        for (String t : texts().get(errno)) {
            if (lower.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /** {@link #mentions} anywhere in the cause chain. */
    public static boolean mentions(Throwable failure, Errno errno) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
            if (mentions(t.getMessage(), errno)) {
                return true;
            }
        }
        return false;
    }

    private static Map<Errno, Set<String>> texts() {
        Map<Errno, Set<String>> t = texts;
        if (t == null) {
            t = load(System.getenv(), LOCALE_DIRS);
            texts = t;
        }
        return t;
    }

    static final long MAX_CATALOG_BYTES = 8L << 20;
    static final int MIN_TRANSLATION_CHARS = 3;

    /** The English and translated texts (lower case) for the languages {@code env} names, from {@code dirs}. */
    static Map<Errno, Set<String>> load(Map<String, String> env, List<Path> dirs) {
        Map<Errno, Set<String>> out = new EnumMap<>(Errno.class);
        for (Errno e : Errno.values()) {
            out.put(e, new LinkedHashSet<>(List.of(e.english.toLowerCase(Locale.ROOT))));
        }
        for (String language : languages(env)) {
            for (Path dir : dirs) {
                Path mo = dir.resolve(language).resolve("LC_MESSAGES").resolve("libc.mo");
                try {
                    // libc.mo is about 1 MB; a larger file is not what gettext installs, so it is not read whole.
                    if (Files.isRegularFile(mo) && Files.size(mo) <= MAX_CATALOG_BYTES) {
                        translations(Files.readAllBytes(mo), out);
                    }
                } catch (IOException | RuntimeException ignored) {
                    // an unreadable or damaged catalog: the English text still matches
                }
            }
        }
        return out;
    }

    /**
     * The catalog names to look in, as gettext picks them: {@code LC_ALL}, else {@code LC_MESSAGES}, else
     * {@code LANG}, with {@code LANGUAGE}'s list first unless the locale is C/POSIX; each as {@code ll_CC.codeset},
     * {@code ll_CC} and {@code ll}.
     */
    static List<String> languages(Map<String, String> env) {
        String locale = firstSet(env, "LC_ALL", "LC_MESSAGES", "LANG");
        Set<String> names = new LinkedHashSet<>();
        if (locale == null || locale.equals("C") || locale.equals("POSIX") || locale.startsWith("C.")) {
            return List.of();
        }
        String languageList = env.get("LANGUAGE");
        if (languageList != null) {
            for (String l : languageList.split(":")) {
                addVariants(l, names);
            }
        }
        addVariants(locale, names);
        return new ArrayList<>(names);
    }

    private static void addVariants(String name, Set<String> names) {
        if (name.isBlank() || name.contains("/") || name.contains("..")) {
            return;
        }
        String noModifier = name.contains("@") ? name.substring(0, name.indexOf('@')) : name;
        names.add(noModifier);
        String noCodeset = noModifier.contains(".") ? noModifier.substring(0, noModifier.indexOf('.')) : noModifier;
        names.add(noCodeset);
        if (noCodeset.contains("_")) {
            names.add(noCodeset.substring(0, noCodeset.indexOf('_')));
        }
    }

    private static String firstSet(Map<String, String> env, String... keys) {
        for (String k : keys) {
            String v = env.get(k);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    /** Adds the translations of the wanted English texts found in a GNU {@code .mo} catalog. */
    static void translations(byte[] mo, Map<Errno, Set<String>> into) {
        ByteBuffer b = ByteBuffer.wrap(mo).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x950412de) {
            b.order(ByteOrder.BIG_ENDIAN);
            if (b.getInt(0) != 0x950412de) {
                return; // not a catalog
            }
        }
        int count = b.getInt(8);
        int originals = b.getInt(12);
        int translated = b.getInt(16);
        for (int i = 0; i < count; i++) {
            String key = string(mo, b, originals + 8 * i);
            for (Errno e : Errno.values()) {
                if (e.english.equals(key)) {
                    String text = string(mo, b, translated + 8 * i);
                    // A text this short ("E", "?") would match inside unrelated messages.
                    if (text.strip().length() >= MIN_TRANSLATION_CHARS) {
                        into.get(e).add(text.toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
    }

    private static String string(byte[] mo, ByteBuffer b, int at) {
        int length = b.getInt(at);
        int offset = b.getInt(at + 4);
        if (length < 0 || offset < 0 || offset > mo.length - length) {
            throw new IllegalArgumentException("damaged catalog entry at " + at);
        }
        return new String(mo, offset, length, StandardCharsets.UTF_8);
    }
}
