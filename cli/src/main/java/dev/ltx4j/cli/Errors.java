package dev.ltx4j.cli;

/** Turns exceptions into one-line messages for the terminal. */
final class Errors {
    private Errors() {}

    static String describe(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        Throwable cause = ex.getCause();
        if (cause != null && cause.getMessage() != null && !msg.contains(cause.getMessage())) {
            msg = msg + " (" + cause.getMessage() + ")";
        }
        return msg;
    }
}
