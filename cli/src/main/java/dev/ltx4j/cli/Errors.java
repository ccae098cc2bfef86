package dev.ltx4j.cli;

import dev.ltx4j.replica.internal.UserMessages;

/** Turns exceptions into one-line messages for the terminal (the words shared with the extension's messages). */
final class Errors {
    private Errors() {}

    static String describe(Throwable ex) {
        return UserMessages.describeWithCause(ex);
    }
}
