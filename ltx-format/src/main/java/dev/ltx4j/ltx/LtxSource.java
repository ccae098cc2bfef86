package dev.ltx4j.ltx;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A named LTX file that can be opened (possibly more than once) as a fresh stream. */
public interface LtxSource {
    /** The name used in errors, e.g. the object key. */
    String name();

    /** Opens a new stream positioned at the file's first byte; the caller closes it. */
    InputStream open() throws IOException;

    /** Opener for {@link #of}. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }

    static LtxSource of(String name, Opener opener) {
        return new LtxSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public InputStream open() throws IOException {
                return opener.open();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    static LtxSource ofBytes(String name, byte[] data) {
        return of(name, () -> new ByteArrayInputStream(data));
    }

    static LtxSource ofPath(Path path) {
        return of(path.toString(), () -> Files.newInputStream(path));
    }
}
