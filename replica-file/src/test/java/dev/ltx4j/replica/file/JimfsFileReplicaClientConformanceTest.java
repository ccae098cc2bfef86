package dev.ltx4j.replica.file;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.ltx4j.conformance.Capabilities;
import dev.ltx4j.conformance.RawStore;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;

/** The conformance kit against the file backend on jimfs (Unix semantics, hard links available). */
class JimfsFileReplicaClientConformanceTest extends ReplicaClientConformanceTest {
    private static final FileSystem FS = Jimfs.newFileSystem(Configuration.unix());

    @AfterAll
    static void closeFs() throws IOException {
        FS.close();
    }

    @Override
    protected ReplicaClient openClient(String prefix) {
        return new FileReplicaClient(FS.getPath("/replicas").resolve(prefix));
    }

    @Override
    protected Capabilities capabilities() {
        return Capabilities.defaults().withPaginationFileCount(2500);
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        return Optional.of(FileReplicaClientConformanceTest.rawStoreAt(FS.getPath("/replicas").resolve(prefix)));
    }
}
