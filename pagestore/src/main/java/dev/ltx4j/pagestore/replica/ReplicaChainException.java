package dev.ltx4j.pagestore.replica;

import java.io.IOException;

/**
 * Two consecutive replica files do not continue each other (the pre-apply checksum of one is not the post-apply
 * checksum of the other): the replica holds a mix of two histories, for example while it is being replaced.
 */
public final class ReplicaChainException extends IOException {
    public ReplicaChainException(String message) {
        super(message);
    }
}
