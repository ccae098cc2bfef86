package dev.ltx4j.replica.internal;

/**
 * The one JSON string escaper of the status and report writers (compaction's status, the engine's status, the CLI's
 * reports). Not API: exported only to those modules.
 */
public final class JsonText {
    private JsonText() {
    }

    /** Appends {@code s} as a JSON string literal, or {@code null}. */
    public static void quote(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** {@code s} as a JSON string literal, or {@code null}. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s == null ? 4 : s.length() + 2);
        quote(b, s);
        return b.toString();
    }
}
