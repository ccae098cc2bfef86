package dev.ltx4j.replica.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;

/**
 * A GET body that aborts its connection when closed before the end, instead of draining the rest of a possibly
 * large object just to reuse the connection.
 */
final class AbortingInputStream extends FilterInputStream {
    private final ResponseInputStream<?> response;
    private boolean atEnd;

    AbortingInputStream(ResponseInputStream<?> response) {
        super(response);
        this.response = response;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        atEnd |= b < 0;
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        atEnd |= n < 0;
        return n;
    }

    @Override
    public void close() throws IOException {
        if (!atEnd) {
            response.abort();
        }
        super.close();
    }
}
