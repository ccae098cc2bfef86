package dev.ltx4j.replica;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bytes of an LTX file to upload. Replayable, so a retry or a read-back comparison can open it again;
 * the length is known up front, so backends never have to buffer a whole body to learn its size.
 */
public interface LtxBody {
    long length();

    /** Opens a fresh stream over the whole body. Each call starts at byte 0. */
    InputStream open() throws IOException;

    static LtxBody of(byte[] data) {
        return new LtxBody() {
            @Override
            public long length() {
                return data.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(data);
            }
        };
    }

    static LtxBody of(Path file) throws IOException {
        long length = Files.size(file);
        return new LtxBody() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }
        };
    }
}
