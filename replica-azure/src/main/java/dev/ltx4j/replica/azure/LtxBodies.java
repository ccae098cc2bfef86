package dev.ltx4j.replica.azure;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.io.InputStream;

/** Reads the LTX header at the start of an upload body, as Go's {@code PeekHeader} does, before anything is sent. */
final class LtxBodies {
    private LtxBodies() {}

    static LtxHeader peekHeader(LtxBody body, String name) throws ReplicaPermanentException, ReplicaTransientException {
        if (body.length() < Ltx.HEADER_SIZE) {
            throw new ReplicaPermanentException("cannot upload " + name + ": body is " + body.length()
                    + " bytes, shorter than the " + Ltx.HEADER_SIZE + "-byte LTX header");
        }
        byte[] header;
        try (InputStream in = body.open()) {
            header = in.readNBytes(Ltx.HEADER_SIZE);
        } catch (IOException e) {
            throw new ReplicaTransientException("cannot read the body of " + name + ": " + e.getMessage(), e);
        }
        try {
            return LtxHeader.parse(header, name);
        } catch (LtxFormatException e) {
            throw new ReplicaPermanentException("cannot upload " + name + ": " + e.getMessage(), e);
        }
    }
}
