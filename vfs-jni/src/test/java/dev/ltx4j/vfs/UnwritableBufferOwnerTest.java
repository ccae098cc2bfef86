package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.vfs.engine.EngineSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unwritable buffer_path of this process's own uid gets the kept-transactions advice, not "it belongs to another
 * user", even where the user has no name: a container's uid without a passwd entry, whose user.name is "?" while
 * the file's owner shows as its number (review of field probes round 5). An immutable file on a tmpfs stands in
 * for the read-only disk.
 */
class UnwritableBufferOwnerTest {
    @TempDir
    Path dir;

    private static int run(String... cmd) throws Exception {
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    @Test
    void ownBufferIsToldByUidNotByName() throws Exception {
        Path disk = dir.resolve("disk");
        RootMounts.tmpfs(disk, "size=1m");
        Path buffer = Files.writeString(disk.resolve("app.buffer"), "x");
        String name = System.getProperty("user.name");
        try {
            assumeTrue(run("chattr", "+i", buffer.toString()) == 0, "chattr +i does not work on this tmpfs");
            System.setProperty("user.name", "?"); // what the JDK says for a uid without a passwd entry
            EngineSettings settings = new EngineSettings(new OpenOptions(OpenOptions.SQLITE_OPEN_READWRITE,
                    Map.of("buffer_path", buffer.toString()), Map.of()), Map.of());
            assertThatThrownBy(settings::bufferPath).isInstanceOf(VfsConfigurationException.class)
                    .hasMessageContaining(buffer + " is not writable")
                    .hasMessageContaining("unsynced transactions, if any, are still in it")
                    .hasMessageNotContaining("belongs to");
        } finally {
            System.setProperty("user.name", name);
            run("chattr", "-i", buffer.toString());
            RootMounts.umount(disk);
        }
    }
}
