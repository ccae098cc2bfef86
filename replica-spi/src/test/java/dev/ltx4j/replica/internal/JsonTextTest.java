package dev.ltx4j.replica.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void quotesEscapesAndNull() {
        assertThat(JsonText.quote((String) null)).isEqualTo("null");
        assertThat(JsonText.quote("")).isEqualTo("\"\"");
        assertThat(JsonText.quote("a\"b\\c\nd\re\tf\u0001g\u001fh é"))
                .isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh é\"");
        StringBuilder b = new StringBuilder("x=");
        JsonText.quote(b, "conflicts/app.db-0000000000000003");
        assertThat(b).hasToString("x=\"conflicts/app.db-0000000000000003\"");
    }
}
