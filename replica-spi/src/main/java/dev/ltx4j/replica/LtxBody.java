package dev.ltx4j.replica;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of an LTX file to upload. Replayable, so a retry or a read-back comparison can open it again;
 * the length is known up front, so backends never have to buffer a whole body to learn its size.
 * Every {@link #open()} must yield exactly {@link #length()} bytes, the same ones each time, and
 * {@link #writeTo} must write those same bytes.
 */
public interface LtxBody {
    /** Number of bytes every {@link #open()} stream yields. */
    long length();

    /** Opens a fresh stream over the whole body. Each call starts at byte 0. */
    InputStream open() throws IOException;

    /**
     * Writes the whole body, from byte 0, to {@code out} and returns the number of bytes written (the same bytes
     * {@link #open()} yields). Backends that store through a channel (a file) call this instead of copying
     * {@link #open()}'s stream: a body held in direct memory hands its buffers to the channel as they are, while a
     * heap array written to a channel is first copied by the JDK into a temporary direct buffer
     * (docs/sync-cost.md). The default copies {@link #open()}'s stream, so every body supports it; a body that
     * overrides it must keep the two in agreement, and a failure midway throws as a failing stream would.
     */
    default long writeTo(WritableByteChannel out) throws IOException {
        try (InputStream in = open()) {
            OutputStream os = Channels.newOutputStream(out);
            long n = in.transferTo(os);
            os.flush();
            return n;
        }
    }

    /**
     * Peeks the 100-byte LTX header the way every backend must before writing: length and magic are checked,
     * the fields are not validated (Go's {@code PeekHeader}).
     *
     * @param name the file being written, named in the error
     * @throws ReplicaPermanentException when the body is shorter than 100 bytes, has a bad magic, or cannot be read
     */
    default LtxHeader peekHeader(String name) throws ReplicaPermanentException {
        if (length() < Ltx.HEADER_SIZE) {
            throw new ReplicaPermanentException("refusing to write " + name + ": the body is " + length()
                    + " bytes, shorter than the " + Ltx.HEADER_SIZE + "-byte LTX header");
        }
        byte[] head;
        try (InputStream in = open()) {
            head = in.readNBytes(Ltx.HEADER_SIZE);
        } catch (IOException e) {
            throw new ReplicaPermanentException("cannot read the body of " + name + ": " + e.getMessage(), e);
        }
        try {
            return LtxHeader.parse(head, name);
        } catch (LtxFormatException e) {
            throw new ReplicaPermanentException("refusing to write " + name + ": " + e.getMessage(), e);
        }
    }

    /** A body over an array; the array must not change afterwards. */
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

    /** A body over a file whose contents must not change while the body is in use. */
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

            /** File to channel in the kernel where it can (copy_file_range, sendfile): no copy through the heap. */
            @Override
            public long writeTo(WritableByteChannel out) throws IOException {
                try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                    long size = in.size();
                    long done = 0;
                    while (done < size) {
                        long n = in.transferTo(done, size - done, out);
                        if (n <= 0) {
                            break; // the file shrank underneath: the caller's length check names it
                        }
                        done += n;
                    }
                    return done;
                }
            }
        };
    }
}
