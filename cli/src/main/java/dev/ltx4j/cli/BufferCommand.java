package dev.ltx4j.cli;

import dev.ltx4j.pagestore.BufferProbe;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.RecoveryReport;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ltx4j buffer ...}: maintenance of local write buffers. */
@Command(name = "buffer", description = "Maintain local write buffers.", subcommands = {BufferCommand.Recover.class})
final class BufferCommand {

    // One string: picocli takes a description's first element as the command's summary in `buffer --help`, and
    // prints each element on a line of its own.
    @Command(name = "recover", description = "Recover a write buffer that opening refused as damaged: copy it to"
        + " PATH.damaged-<time> (owner-only), then keep the committed transactions before the damage and drop the"
        + " rest. A buffer that is not damaged is only recovered as any open would (a torn tail is cut). Stop the"
        + " application using the buffer first.")
    static final class Recover implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PATH", description = "The write buffer file.")
        Path path;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            Path file = path.toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "no write buffer there");
            }
            OptionalInt pageSize = BufferProbe.pageSize(new FileLogStorage(file.getParent()),
                    file.getFileName().toString());
            WriteBufferOptions options = WriteBufferOptions.builder().pageSize(pageSize.orElse(4096))
                    .durability(Durability.LOCAL).recovery(BufferRecovery.TRUNCATE_DAMAGED).build();
            try (WriteBuffer buffer = WriteBuffer.open(file, options)) {
                RecoveryReport r = buffer.recovery();
                out.println(r.describe(buffer.location()));
                out.printf("%d committed transactions held (not yet in the replica: the next write-mode open syncs"
                        + " them)%n", r.transactions());
            }
            return 0;
        }
    }
}
