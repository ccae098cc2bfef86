package dev.ltx4j.syncer;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;

/** Test shorthand for a forwarding decorator: anonymous subclasses override the calls they break. */
class ForwardingClient extends ForwardingReplicaClient {
    ForwardingClient(ReplicaClient delegate) {
        super(delegate);
    }
}
