package dev.ltx4j.bench;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The benchmarks' scratch directories: under {@code -Dltx4j.bench.dir} (default: the temp directory), so a run can be
 * pointed at the disk it should measure, and deleted with everything in them when the trial ends. The replicas in
 * them are emptied of level 0 between invocations.
 */
final class ScratchDirs {
    private ScratchDirs() {}

    /** A new directory named {@code prefix...} under the bench directory (created if absent). */
    static Path create(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("ltx4j.bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, prefix);
    }

    /** Deletes {@code dir} and everything below it. */
    static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Deletes the replica's level-0 files: each invocation uploads into an empty level, as the first one did. */
    static void deleteLevelZero(ReplicaClient replica) throws IOException {
        List<LtxFileInfo> old = replica.listFiles(0, 0, false);
        if (!old.isEmpty()) {
            replica.deleteFiles(old);
        }
    }
}
