package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ltx verify} and {@code ltx dump} take file:// URLs of LTX files, and {@code ltx verify} replica URLs. */
class LtxVerifyUrlTest {
    @TempDir
    Path tmp;

    private Path replica;
    private Path first;

    @BeforeEach
    void replica() throws Exception {
        Path db = tmp.resolve("src.db");
        DemoCommand.createDatabase(db, 200);
        replica = tmp.resolve("a replica"); // a space: percent-encoded in its URL
        CliRun imp = CliRun.of("import", db.toString(), replica.toUri().toString());
        assertThat(imp.exitCode()).as(imp.err()).isZero();
        first = replica.resolve("ltx/0/0000000000000001-0000000000000001.ltx");
        assertThat(first).isRegularFile();
    }

    @Test
    void aFileUrlOfAnLtxFileIsVerifiedAndDumped() {
        CliRun run = CliRun.of("ltx", "verify", first.toUri().toString(), "file://" + first);
        assertThat(run.exitCode()).as(run.err()).isZero(); // before: "bad file:/...: no such file or directory"
        assertThat(run.out()).contains("ok    " + first + ": TXID 0000000000000001-0000000000000001");
        CliRun dump = CliRun.of("ltx", "dump", first.toUri().toString(), "--json");
        assertThat(dump.exitCode()).as(dump.err()).isZero();
        assertThat(dump.out()).contains("\"minTxid\":\"0000000000000001\"");
    }

    @Test
    void aReplicaUrlVerifiesEveryFileAndNamesADamagedOne() throws Exception {
        String url = replica.toUri().toString();
        CliRun ok = CliRun.of("ltx", "verify", url);
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok    " + url + " L0/0000000000000001-0000000000000001.ltx: TXID");
        // file:/dir, one slash, as Path.toUri().toString() does not write it but users do: before, "a directory".
        CliRun oneSlash = CliRun.of("ltx", "verify", "file:" + replica);
        assertThat(oneSlash.exitCode()).as(oneSlash.err()).isZero();
        assertThat(oneSlash.out()).contains(" L0/0000000000000001-0000000000000001.ltx: TXID");

        byte[] b = Files.readAllBytes(first);
        b[b.length / 2] ^= 0x10;
        Files.write(first, b);
        CliRun bad = CliRun.of("ltx", "verify", url);
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("bad   " + url + " L0/0000000000000001-0000000000000001.ltx: ",
                "1 of 1 files are not valid LTX files");
    }

    @Test
    void whatItCannotReadIsNamedWithWhatItTakes() throws Exception {
        String empty = Files.createDirectories(tmp.resolve("empty")).toUri().toString();
        CliRun none = CliRun.of("ltx", "verify", empty);
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.err()).contains(empty + ": the replica holds no LTX files (ltx verify takes LTX files, file://"
                + " URLs of them, or a replica URL)");
        CliRun dir = CliRun.of("ltx", "verify", replica.toString());
        assertThat(dir.exitCode()).isEqualTo(1);
        assertThat(dir.err()).contains(replica + ": a directory", replica.toUri().toString());
        CliRun dump = CliRun.of("ltx", "dump", "s3://bucket/db?endpoint=http://127.0.0.1:1");
        assertThat(dump.exitCode()).isEqualTo(1);
        assertThat(dump.err()).contains("ltx dump reads a local LTX file (a path or a file:// URL), not s3://bucket/db");
    }
}
