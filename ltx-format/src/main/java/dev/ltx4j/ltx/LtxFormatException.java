package dev.ltx4j.ltx;

import java.io.IOException;

/**
 * An LTX file is malformed. The message always names the file (when known) and the offending field, so an
 * operator can tell which object in a replica is bad and why.
 */
public class LtxFormatException extends IOException {
    private final String fileName;
    private final String field;
    private final String detail;

    public LtxFormatException(String fileName, String field, String detail) {
        this(fileName, field, detail, null);
    }

    public LtxFormatException(String fileName, String field, String detail, Throwable cause) {
        super(describe(fileName, field, detail), cause);
        this.fileName = fileName;
        this.field = field;
        this.detail = detail;
    }

    private static String describe(String fileName, String field, String detail) {
        String where = fileName == null ? "LTX data" : "LTX file " + fileName;
        return where + ": " + field + ": " + detail;
    }

    /** The file the error was found in, or null when the data had no name. */
    public String fileName() {
        return fileName;
    }

    /** What is wrong with {@link #field()}, without the file and field names. */
    public String detail() {
        return detail;
    }

    /** The field or structure that is wrong, e.g. {@code header.pageSize} or {@code trailer.fileChecksum}. */
    public String field() {
        return field;
    }
}
