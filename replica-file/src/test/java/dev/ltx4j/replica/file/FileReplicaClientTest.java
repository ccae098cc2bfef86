package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Feature;
import com.google.common.jimfs.Jimfs;
import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileReplicaClientTest {
    private static final long TS = 1_700_000_000_456L;

    @TempDir
    Path dir;

    private static LtxBody body(long min, long max) {
        return LtxBody.of(LtxTestFiles.body(min, max, TS, 300, 7));
    }

    @Test
    void usesLitestreamFileLayoutAndMtime() throws Exception {
        FileReplicaClient client = new FileReplicaClient(dir.resolve("db"));
        client.createFile(0, 1, 2, body(1, 2));
        client.createFile(9, 1, 0xff, body(1, 0xff));
        Path l0 = dir.resolve("db/ltx/0/0000000000000001-0000000000000002.ltx");
        Path l9 = dir.resolve("db/ltx/9/0000000000000001-00000000000000ff.ltx");
        assertThat(l0).isRegularFile();
        assertThat(l9).isRegularFile();
        assertThat(Files.getLastModifiedTime(l0).toMillis()).isEqualTo(TS);
        assertThat(Files.readAllBytes(l0)).isEqualTo(LtxTestFiles.body(1, 2, TS, 300, 7));
        try (Stream<Path> s = Files.list(l0.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(l0.getFileName().toString());
        }
    }

    @Test
    void readsFilesWrittenByAnotherWriterWithCreatedAtFromMtime() throws Exception {
        Path level = dir.resolve("ltx/3");
        Files.createDirectories(level);
        Path f = level.resolve("0000000000000005-0000000000000009.ltx");
        Files.write(f, LtxTestFiles.body(5, 9));
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_600_000_000_789L));
        List<LtxFileInfo> files = new FileReplicaClient(dir).listFiles(3, 0, false);
        assertThat(files).containsExactly(new LtxFileInfo(3, 5, 9, 300, Instant.ofEpochMilli(1_600_000_000_789L)));
    }

    @Test
    void sweepsStaleTempFilesButKeepsRecentOnes() throws Exception {
        Instant now = Instant.parse("2030-01-01T00:00:00Z");
        FileReplicaClient client = new FileReplicaClient(dir, Clock.fixed(now, ZoneOffset.UTC));
        Path level = client.levelDir(0);
        Files.createDirectories(level);
        long old = now.minus(Duration.ofHours(2)).toEpochMilli();
        long recent = now.minus(Duration.ofMinutes(5)).toEpochMilli();
        Path stale = level.resolve(".0000000000000007-0000000000000007.ltx." + old + "-abc-1.tmp");
        Path fresh = level.resolve(".0000000000000008-0000000000000008.ltx." + recent + "-abc-1.tmp");
        Files.write(stale, new byte[10]);
        Files.write(fresh, new byte[10]);
        assertThat(FileReplicaClient.isTempName(stale.getFileName().toString())).isTrue();
        assertThat(client.listFiles(0, 0, false)).isEmpty();

        client.createFile(0, 1, 1, body(1, 1));

        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
        client.deleteAll();
        assertThat(dir).doesNotExist();
    }

    @Test
    void failedCreateLeavesNoTempFile() throws Exception {
        FileReplicaClient client = new FileReplicaClient(dir);
        byte[] data = LtxTestFiles.body(1, 1);
        LtxBody lying = new LtxBody() {
            @Override
            public long length() {
                return data.length + 1;
            }

            @Override
            public java.io.InputStream open() {
                return new java.io.ByteArrayInputStream(data);
            }
        };
        assertThatThrownBy(() -> client.createFile(0, 1, 1, lying)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("declared");
        try (Stream<Path> s = Files.list(client.levelDir(0))) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void rootThatIsAFileIsAPermanentErrorNamingThePath() throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.write(file, new byte[1]);
        FileReplicaClient client = new FileReplicaClient(file);
        assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1)))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining(file.toString());
    }

    @Test
    void aRootBehindADanglingLinkIsTransientAndWorksOnceTheTargetAppears() throws Exception {
        Path mount = dir.resolve("nas"); // a volume not mounted yet: the link's target is missing
        Path link = Files.createSymbolicLink(dir.resolve("replicas"), mount);
        FileReplicaClient client = new FileReplicaClient(link.resolve("app"));
        assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1)))
                .isInstanceOf(dev.ltx4j.replica.ReplicaTransientException.class);
        Files.createDirectories(mount); // mounted: the next attempt succeeds
        client.createFile(0, 1, 1, body(1, 1));
        try (Stream<Path> s = Files.list(client.levelDir(0))) {
            assertThat(s).hasSize(1);
        }
    }

    @Test
    void permissionDeniedIsPermanentAndNamesThePath() throws Exception {
        Path root = dir.resolve("locked");
        Path level = root.resolve("ltx/0");
        Files.createDirectories(level);
        Files.setPosixFilePermissions(level, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeThat(Files.isWritable(level)).as("not running as root").isFalse();
            assertThatThrownBy(() -> new FileReplicaClient(root).createFile(0, 1, 1, body(1, 1)))
                    .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining(level.toString())
                    .hasMessageContaining("permission denied");
        } finally {
            Files.setPosixFilePermissions(level, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void withoutHardLinksPublishesByLockedMove() throws Exception {
        try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix().toBuilder()
                .setSupportedFeatures(Feature.FILE_CHANNEL).build())) {
            Path probe = fs.getPath("/probe");
            Files.write(probe, new byte[1]);
            assertThatThrownBy(() -> Files.createLink(fs.getPath("/link"), probe))
                    .isInstanceOf(UnsupportedOperationException.class);

            FileReplicaClient client = new FileReplicaClient(fs.getPath("/r"));
            client.createFile(0, 1, 1, body(1, 1));
            assertThat(fs.getPath("/r/ltx/0/.ltx4j-create.lock")).exists();
            assertThat(client.listFiles(0, 0, false)).hasSize(1);
            assertThatThrownBy(() -> client.createFile(0, 1, 1, body(1, 1)))
                    .isInstanceOf(dev.ltx4j.replica.ReplicaAlreadyExistsException.class);
            try (Stream<Path> s = Files.list(fs.getPath("/r/ltx/0"))) {
                assertThat(s.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder("0000000000000001-0000000000000001.ltx", ".ltx4j-create.lock");
            }
        }
    }

    @Test
    void urlGrammar() throws Exception {
        assertThat(FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file:///var/lib/db"))).isEqualTo(Path.of("/var/lib/db"));
        assertThat(FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file:///var/lib/../db/?x=1"))).isEqualTo(Path.of("/var/db"));
        assertThat(FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file://localhost/var/lib/db")))
                .isEqualTo(Path.of("/var/lib/db"));
        assertThat(FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file://LOCALHOST/x"))).isEqualTo(Path.of("/x"));
        assertThatThrownBy(() -> FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file://")))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("file replica path required")
                .hasMessageContaining("file://");
        assertThatThrownBy(() -> FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file://?q=1")))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("file replica path required");
        Path file = dir.resolve("plain");
        Files.write(file, new byte[1]);
        assertThatThrownBy(() -> FileReplicaClientProvider.rootOf(ReplicaUrl.parse("file://" + file)))
                .isInstanceOf(ReplicaPermanentException.class).hasMessageContaining("not a directory");
    }

    /** Old behaviour: the host became the first path segment, so these wrote under /relative and /user:pw@. */
    @Test
    void hostsOtherThanLocalhostAndUserInfoAreRejectedWithoutEchoingThem() {
        for (String url : new String[] {"file://relative/sub", "file://host/x", "file://relative"}) {
            assertThatThrownBy(() -> FileReplicaClientProvider.rootOf(ReplicaUrl.parse(url)))
                    .as(url).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("host must be empty or localhost").hasMessageContaining(url)
                    .hasMessageContaining("file:///absolute/path");
        }
        for (String url : new String[] {"file://alice:s3cr3t@/srv/x", "file://alice:s3cr3t@localhost/srv/x",
                "file://alice@/srv/x", "file://al%69ce:s3cr3t%40/srv/x"}) {
            assertThatThrownBy(() -> FileReplicaClientProvider.rootOf(ReplicaUrl.parse(url)))
                    .as(url).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("must not contain user info").hasMessageContaining("/srv/x")
                    .hasMessageNotContaining("s3cr3t").hasMessageNotContaining("alice").hasMessageNotContaining("al%69ce");
        }
        assertThat(dir.resolve("relative")).doesNotExist();
    }

    @Test
    void foundThroughServiceLoader() throws ReplicaException {
        assertThat(ReplicaClients.availableSchemes()).contains("file");
        try (ReplicaClient client = ReplicaClients.open("file://" + dir.resolve("db") + "?ignored=1",
                ReplicaEnvironment.of(Map.of()))) {
            assertThat(client).isInstanceOf(FileReplicaClient.class);
            assertThat(((FileReplicaClient) client).root()).isEqualTo(dir.resolve("db"));
            client.createFile(1, 1, 1, body(1, 1));
        }
        assertThat(dir.resolve("db/ltx/1/0000000000000001-0000000000000001.ltx")).isRegularFile();
        assertThatThrownBy(() -> ReplicaClients.open("s3://bucket/db?secret-access-key=hunter2"))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("dev.ltx4j:replica-s3").hasMessageContaining("file")
                .hasMessageNotContaining("hunter2");
    }
}
