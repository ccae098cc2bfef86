package dev.ltx4j.cli;

/** Turns exceptions into one-line messages for the terminal. */
final class Errors {
    private Errors() {}

    static String describe(Throwable ex) {
        String msg = ex instanceof java.nio.file.FileSystemException f ? fileSystem(f) : ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        Throwable cause = ex.getCause();
        if (cause != null && cause.getMessage() != null && !msg.contains(cause.getMessage())) {
            msg = msg + " (" + cause.getMessage() + ")";
        }
        return msg;
    }

    /** NIO's file exceptions say only the path ("ltx4j: /x/out.db.123.tmp"): name what went wrong with it. */
    private static String fileSystem(java.nio.file.FileSystemException f) {
        String what = f instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : f instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : f instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                : f instanceof java.nio.file.NotDirectoryException ? "not a directory"
                : f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
        return f.getFile() == null ? what : what + ": " + f.getFile()
                + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
    }
}
