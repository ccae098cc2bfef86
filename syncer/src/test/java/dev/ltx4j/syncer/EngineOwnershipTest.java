package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/engine-invariants.md I1 and I3, checked on the source: only {@link Database} writes its fields, only
 * {@link PublishedVersions} and {@link WriteSide} write theirs (and only the former takes the state lock; only
 * {@link Relocations} the relocation lock), and the
 * engine state is swapped only by {@link Database}, {@link WriteSide} and {@link ConflictSaver}.
 */
class EngineOwnershipTest {
    /** The sources checked; another tree can be given with -Dltx4j.engineSources (to see the checks fail on it). */
    private static final Path SOURCES = Path.of(System.getProperty("ltx4j.engineSources",
            "src/main/java/dev/ltx4j/syncer"));
    /** An assignment to a field of the database ({@code db.x = ...}, {@code db.x++}), not a comparison. */
    private static final Pattern WRITES_DB_FIELD = Pattern.compile("\\bdb\\.\\w+\\s*(=(?!=)|\\+\\+|--|[-+*/]=)");

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void noOtherClassWritesAFieldOfTheDatabase() throws IOException {
        List<String> writes = new ArrayList<>();
        for (Path f : sources()) {
            if (f.getFileName().toString().equals("Database.java")) {
                continue;
            }
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = WRITES_DB_FIELD.matcher(lines.get(i));
                if (m.find()) {
                    writes.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertThat(writes).as("fields of Database written from other classes").isEmpty();
    }

    @Test
    void noClassWritesAFieldOfTheFollowerOrTheSyncStepFromOutside() throws IOException {
        Pattern outside = Pattern.compile("\\b(follower|sync|engine)\\.\\w+\\s*(=(?!=)|\\+\\+|--|[-+*/]=)");
        List<String> writes = new ArrayList<>();
        for (Path f : sources()) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                if (outside.matcher(lines.get(i)).find()) {
                    writes.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertThat(writes).as("fields of Follower or SyncEngine written from other classes").isEmpty();
    }

    @Test
    void noClassWritesAFieldOfThePublishedVersionsOrTheWriteSideFromOutside() throws IOException {
        Pattern outside = Pattern.compile("\\b(versions|writes)\\.\\w+\\s*(=(?!=)|\\+\\+|--|[-+*/]=)");
        List<String> writes = new ArrayList<>();
        for (Path f : sources()) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                if (outside.matcher(lines.get(i)).find()) {
                    writes.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertThat(writes).as("fields of PublishedVersions or WriteSide written from other classes").isEmpty();
    }

    @Test
    void onlyThePublishedVersionsTakeTheStateLockAndOnlyTheRelocationsTheRelocationLock() throws IOException {
        Pattern state = Pattern.compile("synchronized \\((\\w+\\.)?stateLock\\)");
        Pattern relocate = Pattern.compile("synchronized \\((\\w+\\.)?relocateLock\\)");
        List<String> stateTakers = new ArrayList<>();
        List<String> relocateTakers = new ArrayList<>();
        for (Path f : sources()) {
            String text = Files.readString(f);
            if (state.matcher(text).find()) {
                stateTakers.add(f.getFileName().toString());
            }
            if (relocate.matcher(text).find()) {
                relocateTakers.add(f.getFileName().toString());
            }
        }
        assertThat(stateTakers).containsExactly("PublishedVersions.java");
        assertThat(relocateTakers).containsExactly("Relocations.java");
    }

    @Test
    void theEngineStateIsSwappedOnlyByTheDatabaseTheWriteSideAndTheConflictSaver() throws IOException {
        List<String> swappers = new ArrayList<>();
        for (Path f : sources()) {
            if (Files.readString(f).contains("updateState(")) {
                swappers.add(f.getFileName().toString());
            }
        }
        // Refresh and Lifecycle are the database's own refresh and open, split out of Database.java (size only).
        assertThat(swappers).containsExactlyInAnyOrder("Database.java", "Refresh.java", "Lifecycle.java",
                "WriteSide.java", "ConflictSaver.java");
    }
}
