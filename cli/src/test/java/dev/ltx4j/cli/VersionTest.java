package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VersionTest {
    @Test
    void versionIsTheOneTheBuildStamped() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run("--version");
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        String expected = System.getProperty("ltx4j.expectedVersion");
        assertThat(out.toString(StandardCharsets.UTF_8).strip())
                .doesNotContain("development build")
                .isEqualTo("ltx4j " + expected);
    }
}
