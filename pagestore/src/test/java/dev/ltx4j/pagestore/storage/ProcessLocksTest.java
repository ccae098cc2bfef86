package dev.ltx4j.pagestore.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two copies of ltx4j in one JVM (an application server: a web application redeployed while the old deployment
 * still holds its buffer, or two applications), each loaded by its own class loader (field probes, round 9).
 */
class ProcessLocksTest {
    @TempDir
    Path dir;

    @Test
    void aSecondClassLoadersRefusedLockLeavesTheFirstOnesLockHeldForOtherProcesses() throws Exception {
        try (URLClassLoader first = copyOfLtx4j("webapp-1"); URLClassLoader second = copyOfLtx4j("webapp-2")) {
            AutoCloseable held = lock(first);
            assertThat(otherProcessTakes(dir.resolve("buf.lock"))).isEqualTo("refused");
            InvocationTargetException refused = null;
            try {
                lock(second).close();
            } catch (InvocationTargetException e) {
                refused = e;
            }
            // Before: the refused copy had opened the lock file and closed it, which dropped the process's POSIX
            // lock, so another process could take the buffer under the first copy's running writer.
            assertThat(otherProcessTakes(dir.resolve("buf.lock"))).isEqualTo("refused");
            // The second copy is refused, naming the first one's class loader and what to do.
            assertThat(refused).isNotNull();
            assertThat(refused.getCause().getMessage()).contains("buffer lock " + dir.resolve("buf.lock"))
                    .contains("another copy of ltx4j in this JVM, loaded by class loader webapp-1@")
                    .contains("close that one's connections");
            held.close();
            AutoCloseable again = lock(second); // once the first copy let go, the second one takes it
            assertThat(otherProcessTakes(dir.resolve("buf.lock"))).isEqualTo("refused");
            again.close();
            assertThat(otherProcessTakes(dir.resolve("buf.lock"))).isEqualTo("taken");
        }
    }

    @Test
    void aSecondSpellingThroughALinkedDirectoryIsRefusedWithoutDroppingTheFirstOnesLock() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        try (LogStorage.StorageLock held = new FileLogStorage(real).lock("buf.lock")) {
            // Before: the second spelling got its own reservation, reached tryLock, met OverlappingFileLockException
            // and closed its channel, which dropped the first one's POSIX lock for other processes.
            assertThatThrownBy(() -> new FileLogStorage(link).lock("buf.lock"))
                    .isInstanceOf(StorageLockedException.class).hasMessageContaining("is already held by");
            assertThat(otherProcessTakes(real.resolve("buf.lock"))).isEqualTo("refused");
        }
        assertThat(otherProcessTakes(real.resolve("buf.lock"))).isEqualTo("taken");
    }

    @Test
    void theKeyFollowsTheDirectorysLinksNotTheSpellingsDots() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path c = Files.createDirectories(dir.resolve("b").resolve("c"));
        Files.createSymbolicLink(a.resolve("link"), c);
        // a/link/.. is b, not a: two files, both reservable (normalize() had folded it to a/x.lock, a false refusal).
        ProcessLocks.Reservation first = ProcessLocks.reserve(a.resolve("x.lock"));
        ProcessLocks.Reservation second = ProcessLocks.reserve(a.resolve("link").resolve("..").resolve("x.lock"));
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(ProcessLocks.reserve(dir.resolve("b").resolve("x.lock"))).isNull();
        first.release();
        second.release();
    }

    @Test
    void aForwardedPropertyWithoutASequenceIsNamedNotAnException() throws Exception {
        Path lock = dir.toRealPath().resolve("fwd.lock");
        System.setProperty("ltx4j.lock:" + lock, "x");
        try {
            assertThat(ProcessLocks.reserve(lock)).isNull();
            assertThat(ProcessLocks.heldBy(lock)).contains("loaded by class loader x ");
        } finally {
            System.clearProperty("ltx4j.lock:" + lock);
        }
    }

    private AutoCloseable lock(ClassLoader loader) throws Exception {
        Class<?> storage = Class.forName(FileLogStorage.class.getName(), true, loader);
        assertThat(storage).isNotSameAs(FileLogStorage.class);
        Object s = storage.getConstructor(Path.class).newInstance(dir);
        return (AutoCloseable) storage.getMethod("lock", String.class).invoke(s, "buf.lock");
    }

    /** A class loader of its own over this test's module and class path, as a server gives each web application. */
    private static URLClassLoader copyOfLtx4j(String name) throws Exception {
        List<URL> urls = new ArrayList<>();
        String path = System.getProperty("jdk.module.path", "") + File.pathSeparator
                + System.getProperty("java.class.path", "");
        for (String e : path.split(File.pathSeparator)) {
            if (!e.isBlank()) urls.add(Path.of(e).toUri().toURL());
        }
        // Not the platform loader as parent: it hands packages of the boot layer's modules (this module on the module
        // path) to the application loader, which would share one copy.
        return new URLClassLoader(name, urls.toArray(URL[]::new), null);
    }

    /** Whether another process (python3, fcntl as SQLite and the JDK lock) can take the lock now. */
    private static String otherProcessTakes(Path lock) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import fcntl, sys",
                "f = open(sys.argv[1], 'r+')",
                "try:",
                "    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                "    print('taken')",
                "except OSError:",
                "    print('refused')"), lock.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return out;
    }
}
