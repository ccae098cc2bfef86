package dev.ltx4j.replica.file;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * A replica file's stream that a caller whose interrupt flag is already set can still read (as SQLite reads a plain
 * file): each read runs with the flag cleared and sets it again afterwards. A channel read throws and closes its
 * channel on an interrupted thread, which made a connection opened by an interrupted thread fail with a reason of
 * "null". An interrupt arriving during a read still ends this one stream, now with a message saying so.
 */
final class UninterruptedInputStream extends FilterInputStream {
    private final Path file;

    UninterruptedInputStream(InputStream in, Path file) {
        super(in);
        this.file = file;
    }

    /** Positions {@code channel} (a channel call, so interruptible) for a caller whose interrupt flag may be set. */
    static void seek(SeekableByteChannel channel, long offset) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            channel.position(offset);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return in.read(b, off, len);
        } catch (ClosedByInterruptException e) {
            interrupted = true;
            InterruptedIOException clear = new InterruptedIOException("read of " + file
                    + " interrupted (Thread.interrupt() of the reading thread)");
            clear.initCause(e);
            throw clear;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public long skip(long n) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return in.skip(n);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
