package dev.ltx4j.replica.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Round 9 (leftovers): user-facing texts are sentences, never a Java class name first; the words are kept. */
class UserMessagesTest {
    @Test
    void aMessageIsShownWithoutItsClass() {
        assertThat(UserMessages.describe(new IllegalStateException("s3: cannot connect to endpoint x")))
                .isEqualTo("s3: cannot connect to endpoint x");
    }

    @Test
    void aWrapperWithoutWordsOfItsOwnGivesItsCauses() {
        // new IOException(cause): the message is "java.net.ConnectException: Connection refused"
        assertThat(UserMessages.describe(new IOException(new ConnectException("Connection refused"))))
                .isEqualTo("Connection refused");
        assertThat(UserMessages.describe(new ExecutionException(new UncheckedIOException(
                new IOException("read failed"))))).isEqualTo("read failed");
        assertThat(UserMessages.describe(new IOException("java.io.IOException: ReplicaTransientException: gone")))
                .isEqualTo("gone");
    }

    @Test
    void typedExceptionsWithABareMessageSayWhatHappened() {
        assertThat(UserMessages.describe(new NoSuchFileException("/x/out.db")))
                .isEqualTo("no such file or directory: /x/out.db");
        assertThat(UserMessages.describe(new AccessDeniedException("/x/b", "/x/c", null)))
                .isEqualTo("permission denied: /x/b -> /x/c");
        assertThat(UserMessages.describe(new UnknownHostException("bucket.s3.invalid")))
                .isEqualTo("unknown host bucket.s3.invalid");
        assertThat(UserMessages.describe(new NoClassDefFoundError("org/slf4j/Logger")))
                .isEqualTo("a class is missing from the class path: org.slf4j.Logger");
        assertThat(UserMessages.describe(new EOFException())).isEqualTo("unexpected end of file");
        assertThat(UserMessages.describe(new IOException())).isEqualTo("failed without details (IOException)");
    }

    @Test
    void aDefectKeepsItsClassAfterWordsThatSaySo() {
        assertThat(UserMessages.describe(new NullPointerException("x is null")))
                .isEqualTo("internal error (java.lang.NullPointerException: x is null), please report it");
    }

    @Test
    void theCommandLineAddsTheFirstCauseWithNewWords() {
        assertThat(UserMessages.describeWithCause(new IOException("restore failed", new IOException("disk gone"))))
                .isEqualTo("restore failed (disk gone)");
        assertThat(UserMessages.describeWithCause(new IOException("restore failed: disk gone",
                new IOException("disk gone")))).isEqualTo("restore failed: disk gone");
    }

    @Test
    void aCauseQuotingTheRawUrlIsRedacted() {
        // The mends-lo review: the wrapper redacted the endpoint, the cause (URISyntaxException) held it raw.
        String text = UserMessages.describeWithCause(new IOException("s3: invalid endpoint 'https://***@minio:9000'",
                new java.net.URISyntaxException("https://AKIA:wJal/rXUtn@minio:9000", "expected http(s)://HOST[:PORT]")));
        assertThat(text).doesNotContain("wJal").doesNotContain("rXUtn").contains("https://***@minio:9000");
        String sig = UserMessages.describeWithCause(new IOException("s3: invalid endpoint 'https://min io:9000/?sig=***'",
                new java.net.URISyntaxException("https://min io:9000/?sig=SECRET123&sv=1", "Illegal character")));
        assertThat(sig).doesNotContain("SECRET123").contains("sig=***&sv=1");
        String env = UserMessages.describeWithCause(new IllegalStateException("cannot open",
                new RuntimeException("invalid URI in AWS_ENDPOINT_URL (https://AKIA:wJal/rXUtn@mi nio:9000)")));
        assertThat(env).doesNotContain("wJal").doesNotContain("rXUtn");
    }

    @Test
    void aWrapperWithWordsOfItsOwnKeepsThem() {
        // LocalCopies: "cannot set up the local copy of database "x": ..." used to become only "permission denied: /c".
        UncheckedIOException e = new UncheckedIOException("cannot set up the local copy of database \"x\": /c",
                new AccessDeniedException("/c"));
        assertThat(UserMessages.describe(e)).isEqualTo("cannot set up the local copy of database \"x\": /c");
        assertThat(UserMessages.describeWithCause(e))
                .isEqualTo("cannot set up the local copy of database \"x\": /c (permission denied: /c)");
        assertThat(UserMessages.describe(new ExecutionException("restore of db failed", new IOException("gone"))))
                .isEqualTo("restore of db failed");
        assertThat(UserMessages.describe(new java.util.concurrent.CompletionException(new IOException("gone"))))
                .isEqualTo("gone");
    }
}
