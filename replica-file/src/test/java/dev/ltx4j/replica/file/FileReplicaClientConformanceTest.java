package dev.ltx4j.replica.file;

import dev.ltx4j.conformance.IdentitySpellings;
import dev.ltx4j.conformance.RawStore;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.replica.ReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** The conformance kit against the file backend on the real disk. */
class FileReplicaClientConformanceTest extends ReplicaClientConformanceTest {
    @TempDir
    static Path base;

    @Override
    protected ReplicaClient openClient(String prefix) {
        return new FileReplicaClient(base.resolve(prefix));
    }

    @Override
    protected Optional<IdentitySpellings> identitySpellings(String prefix) throws Exception {
        Path real = base.toRealPath();
        Path root = Files.createDirectories(real.resolve(prefix));
        Path link = real.resolve(prefix + "-link");
        Files.createSymbolicLink(link, root);
        return Optional.of(new IdentitySpellings(new FileReplicaClientProvider(),
                dev.ltx4j.replica.ReplicaEnvironment.of(Map.of()), List.of(
                "file://" + root, "file:" + root + "/", "file://localhost" + real + "/./" + prefix,
                "file://" + link + "/", root.toUri().toString()),
                List.of("file://" + root + "2", "file://" + root + "/sub")));
    }

    @Override
    protected Optional<ReplicaClient> openUnreachableClient(String prefix) throws Exception {
        return Optional.of(new FileReplicaClient(unreachableRoot(base).resolve(prefix)));
    }

    /** A root below a regular file: every operation on it fails (ENOTDIR), as requests to a dead endpoint do. */
    static Path unreachableRoot(Path base) throws java.io.IOException {
        Path notADirectory = base.resolve("not-a-directory");
        if (!Files.exists(notADirectory)) {
            Files.write(notADirectory, new byte[] {1});
        }
        return notADirectory;
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        return Optional.of(rawStoreAt(base.resolve(prefix)));
    }

    static RawStore rawStoreAt(Path root) {
        return new RawStore() {
            @Override
            public void putInLevel(int level, String name, byte[] data) throws Exception {
                Path p = root.resolve("ltx").resolve(Integer.toString(level)).resolve(name);
                Files.createDirectories(p.getParent());
                Files.write(p, data);
            }

            @Override
            public void putAtRoot(String relativePath, byte[] data) throws Exception {
                Path p = root.resolve(relativePath);
                Files.createDirectories(p.getParent());
                Files.write(p, data);
            }
        };
    }
}
