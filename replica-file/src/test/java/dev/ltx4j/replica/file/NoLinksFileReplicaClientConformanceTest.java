package dev.ltx4j.replica.file;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Feature;
import com.google.common.jimfs.Jimfs;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.FileSystem;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance kit against the file backend on a file system without hard links, which exercises the
 * locked-move fallback of create-if-absent (including the concurrent-creator race).
 */
class NoLinksFileReplicaClientConformanceTest extends ReplicaClientConformanceTest {
    private static final FileSystem FS = Jimfs.newFileSystem(Configuration.unix().toBuilder()
            .setSupportedFeatures(Feature.FILE_CHANNEL, Feature.SECURE_DIRECTORY_STREAM).build());

    @AfterAll
    static void closeFs() throws IOException {
        FS.close();
    }

    @Override
    protected ReplicaClient openClient(String prefix) {
        return new FileReplicaClient(FS.getPath("/replicas").resolve(prefix));
    }
}
