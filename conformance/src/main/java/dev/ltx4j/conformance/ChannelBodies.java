package dev.ltx4j.conformance;

import dev.ltx4j.replica.LtxBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Bodies that override {@link LtxBody#writeTo} the way the engine's spool does (its bytes in several direct
 * buffers, written to the channel with gathering writes), for the kit's create clauses: a backend may store a body
 * through {@link LtxBody#open()} or through {@link LtxBody#writeTo}, and either must store the same bytes.
 */
final class ChannelBodies {
    private ChannelBodies() {}

    /** {@code data} in direct buffers of {@code piece} bytes; both paths yield {@code data}. */
    static LtxBody direct(byte[] data, int piece) {
        List<ByteBuffer> parts = new ArrayList<>();
        for (int at = 0; at < data.length; at += piece) {
            int n = Math.min(piece, data.length - at);
            parts.add(ByteBuffer.allocateDirect(n).put(data, at, n).flip());
        }
        return new LtxBody() {
            @Override
            public long length() {
                return data.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(data);
            }

            @Override
            public long writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer[] views = parts.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new);
                long done = 0;
                while (done < data.length) {
                    done += out instanceof GatheringByteChannel g ? g.write(views) : writeOne(out, views);
                }
                return done;
            }
        };
    }

    private static long writeOne(WritableByteChannel out, ByteBuffer[] views) throws IOException {
        for (ByteBuffer v : views) {
            if (v.hasRemaining()) {
                return out.write(v);
            }
        }
        return 0;
    }

    /**
     * A body whose streams fail after {@code failAt} bytes (each from {@code failing}) and whose {@link LtxBody#writeTo}
     * writes the first {@code failAt} bytes and then fails the same way.
     */
    static LtxBody failing(byte[] data, int failAt, Supplier<InputStream> failing) {
        return new LtxBody() {
            @Override
            public long length() {
                return data.length;
            }

            @Override
            public InputStream open() {
                return failing.get();
            }

            @Override
            public long writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer head = ByteBuffer.wrap(data, 0, failAt);
                while (head.hasRemaining()) {
                    out.write(head);
                }
                throw new IOException("simulated failure of the body at byte " + failAt);
            }
        };
    }
}
