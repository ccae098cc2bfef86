package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every spelling of one directory (links included) is one file replica identity. */
class FileCanonicalIdentityTest {
    @TempDir
    Path tmp;

    private static String id(String url) throws ReplicaException {
        return new FileReplicaClientProvider().canonicalIdentity(ReplicaUrl.parse(url), ReplicaEnvironment.of(Map.of()));
    }

    @Test
    void spellingsAndLinksOfOneDirectoryAreOneIdentity() throws Exception {
        Path real = tmp.toRealPath();
        Path r = Files.createDirectories(real.resolve("r"));
        Path link = Files.createSymbolicLink(real.resolve("link"), r);
        String canonical = "file://" + r;
        assertThat(id("file://" + r)).isEqualTo(canonical)
                .isEqualTo(id("file://" + r + "/"))
                .isEqualTo(id("file:" + r + "/"))
                .isEqualTo(id("file://localhost" + real + "/./r"))
                .isEqualTo(id("file://" + real + "/x/../r"))
                .isEqualTo(id("file://" + link))
                .isEqualTo(id(r.toUri().toString()));
        assertThat(id("file://" + real.resolve("r2"))).isNotEqualTo(canonical);
    }

    @Test
    void aRootNotCreatedYetResolvesThroughItsParent() throws Exception {
        Path real = tmp.toRealPath();
        Path parent = Files.createDirectories(real.resolve("p"));
        Files.createSymbolicLink(real.resolve("plink"), parent);
        assertThat(id("file://" + real.resolve("plink/new/")))
                .isEqualTo(id("file://" + parent.resolve("new")))
                .isEqualTo("file://" + parent.resolve("new"));
    }
}
