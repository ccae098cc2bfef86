package dev.ltx4j.vfs.internal;

import dev.ltx4j.vfs.LitestreamVfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** A child JVM for {@link NativeLibraryTest}: loads the VFS (extracting the library), prints what it sees, exits. */
public final class ExtractAndExit {
    private ExtractAndExit() {
    }

    public static void main(String[] args) throws Exception {
        LitestreamVfs.load();
        try (Stream<Path> dirs = Files.list(Path.of(args[0]))) {
            System.out.println("extracted " + dirs.count());
        }
    }
}
