package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: the client stack passes an ambiguous create on unresolved, so the import resolves it itself (through the
 * real retrying stack, on a real file replica).
 */
class ImportAmbiguousCreateTest {
    @TempDir
    Path tmp;

    /** Each create is lost once: {@code lands} says whether the object was stored before the response was lost. */
    private static final class LostResponse extends ForwardingReplicaClient {
        final boolean lands;
        int creates;

        LostResponse(ReplicaClient delegate, boolean lands) {
            super(delegate);
            this.lands = lands;
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (++creates == 1) {
                if (lands) {
                    delegate.createFile(level, min, max, body);
                }
                throw new ReplicaOutcomeUnknownException("response lost");
            }
            return delegate.createFile(level, min, max, body);
        }
    }

    private LtxEncodeResult encode(Path ltx) throws Exception {
        Path db = tmp.resolve("src.db");
        DemoCommand.createDatabase(db, 300);
        return ImportCommand.encodeSnapshot(SqliteFile.inspect(db), ltx, 1_700_000_000_000L, Progress.silent());
    }

    @Test
    void aLostResponseAfterTheCreateLandedIsOurSuccess() throws Exception {
        Path ltx = tmp.resolve("snap.ltx");
        LtxEncodeResult result = encode(ltx);
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"));
        LostResponse lossy = new LostResponse(file, true);
        LtxFileInfo info = ImportCommand.create(Replicas.retrying(lossy), ltx, result);
        assertThat(info.size()).isEqualTo(result.size());
        assertThat(lossy.creates).isEqualTo(1);
        assertThat(file.readRange(0, 1, 1, 0, 0)).isEqualTo(Files.readAllBytes(ltx));
    }

    @Test
    void aCreateThatDidNotLandIsSentAgain() throws Exception {
        Path ltx = tmp.resolve("snap.ltx");
        LtxEncodeResult result = encode(ltx);
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"));
        LostResponse lossy = new LostResponse(file, false);
        ImportCommand.create(Replicas.retrying(lossy), ltx, result);
        assertThat(lossy.creates).isEqualTo(2);
        assertThat(file.readRange(0, 1, 1, 0, 0)).isEqualTo(Files.readAllBytes(ltx));
    }

    @Test
    void anotherWritersFileIsAlreadyExists() throws Exception {
        Path ltx = tmp.resolve("snap.ltx");
        LtxEncodeResult result = encode(ltx);
        Path other = tmp.resolve("other.ltx");
        Path db2 = tmp.resolve("other.db");
        DemoCommand.createDatabase(db2, 10);
        ImportCommand.encodeSnapshot(SqliteFile.inspect(db2), other, 1_700_000_000_001L, Progress.silent());
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"));
        LtxBody otherBody = LtxBody.of(other);
        ReplicaClient rival = new ForwardingReplicaClient(file) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                delegate.createFile(level, min, max, otherBody); // a rival lands first
                throw new ReplicaOutcomeUnknownException("response lost");
            }
        };
        assertThatThrownBy(() -> ImportCommand.create(Replicas.retrying(rival), ltx, result))
                .isInstanceOf(ReplicaAlreadyExistsException.class).hasMessageContaining("another writer");
    }
}
