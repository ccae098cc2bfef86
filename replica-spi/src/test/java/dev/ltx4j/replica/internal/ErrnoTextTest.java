package dev.ltx4j.replica.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round 9 (leftovers): errno texts in English or the locale's language, from the C library's catalog. */
class ErrnoTextTest {
    @TempDir
    Path dir;

    /** A GNU .mo catalog of {@code pairs} (original, translation), sorted as msgfmt writes them. */
    private static byte[] mo(String... pairs) {
        int n = pairs.length / 2;
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        int base = 28 + 16 * n;
        ByteBuffer head = ByteBuffer.allocate(base).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(0x950412de).putInt(0).putInt(n).putInt(28).putInt(28 + 8 * n).putInt(0).putInt(0);
        int[][] at = new int[pairs.length][2];
        for (int i = 0; i < pairs.length; i++) {
            byte[] b = pairs[i].getBytes(StandardCharsets.UTF_8);
            at[i] = new int[] {b.length, base + strings.size()};
            strings.writeBytes(b);
            strings.write(0);
        }
        for (int i = 0; i < n; i++) {
            head.putInt(28 + 8 * i, at[2 * i][0]).putInt(28 + 8 * i + 4, at[2 * i][1]);
            head.putInt(28 + 8 * n + 8 * i, at[2 * i + 1][0]).putInt(28 + 8 * n + 8 * i + 4, at[2 * i + 1][1]);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(head.array());
        all.writeBytes(strings.toByteArray());
        return all.toByteArray();
    }

    @Test
    void theLocalesCatalogAddsItsTranslations() throws Exception {
        Path lc = Files.createDirectories(dir.resolve("xx").resolve("LC_MESSAGES"));
        Files.write(lc.resolve("libc.mo"), mo("Disk quota exceeded", "Kvote overskredet",
                "No locks available", "Ingen laase ledige", "Unrelated", "Anders"));
        Map<ErrnoText.Errno, Set<String>> texts = ErrnoText.load(Map.of("LANG", "xx_YY.UTF-8"), List.of(dir));
        assertThat(texts.get(ErrnoText.Errno.EDQUOT)).containsExactly("disk quota exceeded", "kvote overskredet");
        assertThat(texts.get(ErrnoText.Errno.ENOLCK)).contains("ingen laase ledige");
        assertThat(texts.get(ErrnoText.Errno.ENOSPC)).containsExactly("no space left on device");
        // The C locale: English only, whatever LANGUAGE says (as gettext).
        assertThat(ErrnoText.load(Map.of("LC_ALL", "C", "LANGUAGE", "xx"), List.of(dir)).get(ErrnoText.Errno.EDQUOT))
                .containsExactly("disk quota exceeded");
        assertThat(ErrnoText.languages(Map.of("LC_ALL", "de_DE.UTF-8@euro", "LANG", "fr_FR")))
                .containsExactly("de_DE.UTF-8", "de_DE", "de");
        assertThat(ErrnoText.languages(Map.of("LANG", "de_DE.UTF-8", "LANGUAGE", "fr:de")))
                .startsWith("fr", "de", "de_DE.UTF-8");
    }

    @Test
    void aDamagedCatalogLeavesTheEnglishText() throws Exception {
        Path lc = Files.createDirectories(dir.resolve("xx").resolve("LC_MESSAGES"));
        byte[] bad = mo("Disk quota exceeded", "Kvote");
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(28 + 4, 1 << 30);
        Files.write(lc.resolve("libc.mo"), bad);
        assertThat(ErrnoText.load(Map.of("LANG", "xx"), List.of(dir)).get(ErrnoText.Errno.EDQUOT))
                .containsExactly("disk quota exceeded");
    }

    @Test
    void theInstalledGermanCatalogGivesGlibcsTexts() {
        Path de = Path.of("/usr/share/locale/de/LC_MESSAGES/libc.mo");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(de), "no German libc catalog");
        Map<ErrnoText.Errno, Set<String>> texts = ErrnoText.load(Map.of("LC_ALL", "de_DE.UTF-8"),
                List.of(Path.of("/usr/share/locale")));
        assertThat(texts.get(ErrnoText.Errno.ENOSPC)).contains("auf dem gerät ist kein speicherplatz mehr verfügbar");
        assertThat(texts.get(ErrnoText.Errno.ENOLCK)).contains("keine sperren verfügbar");
        assertThat(texts.get(ErrnoText.Errno.ENOSYS)).contains("die angeforderte funktion ist nicht implementiert");
    }

    /** The mends-lo review: a one-letter translation would match inside any message; a huge file is not a catalog. */
    @Test
    void aShortTranslationOrAnOversizedCatalogIsIgnored() throws Exception {
        Path lc = Files.createDirectories(dir.resolve("xx").resolve("LC_MESSAGES"));
        Files.write(lc.resolve("libc.mo"), mo("Disk quota exceeded", "E", "No locks available", "Ingen laase"));
        Map<ErrnoText.Errno, Set<String>> texts = ErrnoText.load(Map.of("LANG", "xx"), List.of(dir));
        assertThat(texts.get(ErrnoText.Errno.EDQUOT)).containsExactly("disk quota exceeded");
        assertThat(texts.get(ErrnoText.Errno.ENOLCK)).contains("ingen laase");
        Path big = Files.createDirectories(dir.resolve("yy").resolve("LC_MESSAGES")).resolve("libc.mo");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.write(mo("Disk quota exceeded", "Kvote overskredet"));
            f.setLength(ErrnoText.MAX_CATALOG_BYTES + 1); // sparse: no real disk use
        }
        assertThat(ErrnoText.load(Map.of("LANG", "yy"), List.of(dir)).get(ErrnoText.Errno.EDQUOT))
                .containsExactly("disk quota exceeded");
    }
}
