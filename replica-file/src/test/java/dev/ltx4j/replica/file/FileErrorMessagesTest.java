package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probes, round 6 (docs/field-probes.md): NIO's typed file exceptions carry no reason, so their message is the
 * bare path, and the file backend said "create directory X: X" for a file where a level directory belongs. Every
 * message names the path once and says what failed.
 */
class FileErrorMessagesTest {
    private static final long TS = 1_700_000_000_456L;

    @TempDir
    Path dir;

    private static int occurrences(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void aFileWhereALevelDirectoryBelongsIsNamedOnceWithWhatIsWrong() throws Exception {
        Path root = dir.resolve("db");
        Path level = Files.createDirectories(root.resolve("ltx")).resolve("0");
        Files.writeString(level, "not a directory");
        FileReplicaClient client = new FileReplicaClient(root);
        ReplicaException e = catchThrowableOfType(ReplicaException.class,
                () -> client.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, TS, 300, 7))));
        System.out.println("file at the level directory: " + e.getMessage());
        assertThat(e).isInstanceOf(ReplicaPermanentException.class) // retrying cannot help (it was retried ~5 s)
                .hasMessage("create directory " + level + ": exists and is not a directory");
    }

    @Test
    void everyTypedExceptionWithoutAReasonIsGivenOne() {
        Path p = dir.resolve("ltx/0");
        String s = p.toString();
        Map<IOException, String> cases = Map.of(
                new AccessDeniedException(s), "permission denied",
                new NoSuchFileException(s), "no such file or directory",
                new NotDirectoryException(s), "not a directory",
                new FileAlreadyExistsException(s), "already exists",
                new DirectoryNotEmptyException(s), "directory not empty",
                new FileSystemException(s), "FileSystemException",
                new FileSystemException(s, null, "Kein Platz mehr auf dem Gerät"), "Kein Platz mehr auf dem Gerät");
        cases.forEach((e, reason) -> {
            String m = FileErrors.map("delete", p, e).getMessage();
            assertThat(m).as(e.getClass().getSimpleName()).isEqualTo("delete " + s + ": " + reason);
        });
        // Another path the JDK names (a parent that refused, a rename's target) is kept.
        Path parent = dir.resolve("ltx");
        assertThat(FileErrors.map("create directory", p, new AccessDeniedException(parent.toString())).getMessage())
                .isEqualTo("create directory " + s + ": permission denied: " + parent);
    }

    @Test
    void aLevelDirectoryOnAFullDiskSaysNoSpaceAndNamesThePathOnce() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting needs root");
        Path disk = Files.createDirectories(dir.resolve("disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m,nr_inodes=8", "tmpfs", disk.toString()) == 0,
                "no tmpfs mount");
        try {
            Path root = Files.createDirectories(disk.resolve("db/ltx"));
            for (int i = 0; ; i++) { // use up the inodes
                try {
                    Files.createFile(disk.resolve("f" + i));
                } catch (IOException full) {
                    break;
                }
            }
            Path level = root.resolve("0");
            FileReplicaClient client = new FileReplicaClient(disk.resolve("db"));
            ReplicaException e = catchThrowableOfType(ReplicaException.class,
                    () -> client.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, TS, 300, 7))));
            System.out.println("full disk: " + e.getMessage());
            assertThat(e).isInstanceOf(ReplicaTransientException.class)
                    .hasMessage("create directory " + level + ": No space left on device");
            assertThat(occurrences(e.getMessage(), level.toString())).isEqualTo(1);
        } finally {
            run("umount", disk.toString());
        }
    }

    private static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
