package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AzureUrlParserTest {
    private static final ReplicaEnvironment KEY_ENV = ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", "k3y"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            abs://acct@cont                                   | cont | .     | https://acct.blob.core.windows.net | ltx/0/   | ltx/
            abs://acct@cont/                                  | cont | ''    | https://acct.blob.core.windows.net | ltx/0/   | ltx/
            abs://acct@cont/db                                | cont | db    | https://acct.blob.core.windows.net | db/ltx/0/| db/
            abs://acct@cont//a/./b/                           | cont | a/b   | https://acct.blob.core.windows.net | a/b/ltx/0/| a/b/
            abs://acct@cont/db?endpoint=http://127.0.0.1:1/x/ | cont | db    | http://127.0.0.1:1/x               | db/ltx/0/| db/
            """)
    void parsesUrlAndLayout(String url, String container, String path, String endpoint, String level0, String all)
            throws Exception {
        AzureReplicaConfig config = AzureUrlParser.parse(ReplicaUrl.parse(url), KEY_ENV);
        assertThat(config.container()).isEqualTo(container);
        assertThat(config.path()).isEqualTo(path);
        assertThat(config.endpoint()).contains(endpoint);
        assertThat(config.account()).contains("acct");
        assertThat(config.credential()).isEqualTo(new Credential.SharedKey("acct", "k3y"));
        AzureKeyLayout layout = new AzureKeyLayout(config.path());
        assertThat(layout.levelPrefix(0)).isEqualTo(level0);
        assertThat(layout.replicaPrefix()).isEqualTo(all);
        assertThat(layout.key(9, 1, 255)).isEqualTo(level0.replace("ltx/0/", "ltx/9/")
                + "0000000000000001-00000000000000ff.ltx");
    }

    @Test
    void credentialPriorityAndEndpointFromEnvironment() throws Exception {
        ReplicaUrl url = ReplicaUrl.parse("abs://acct@cont/db");
        AzureReplicaConfig sas = AzureUrlParser.parse(url, ReplicaEnvironment.of(Map.of(
                "LITESTREAM_AZURE_SAS_TOKEN", "?sv=1&sig=abc", "LITESTREAM_AZURE_ACCOUNT_KEY", "k",
                "LITESTREAM_AZURE_ENDPOINT", "http://127.0.0.1:5/acct")));
        assertThat(sas.credential()).isEqualTo(new Credential.SasToken("sv=1&sig=abc"));
        assertThat(sas.endpoint()).contains("http://127.0.0.1:5/acct");
        AzureReplicaConfig cs = AzureUrlParser.parse(ReplicaUrl.parse("abs://cont/db"), ReplicaEnvironment.of(Map.of(
                "AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=secretkey;BlobEndpoint=http://h/a")));
        assertThat(cs.credential()).isInstanceOf(Credential.ConnectionString.class);
        assertThat(cs.endpoint()).isEmpty();
        assertThat(cs.toString()).doesNotContain("secretkey");
        assertThat(sas.toString()).doesNotContain("sig=abc");
        assertThat(AzureUrlParser.parse(url, KEY_ENV).toString()).doesNotContain("k3y");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            abs:///db                            | LITESTREAM_AZURE_ACCOUNT_KEY | bucket required for abs replica URL
            abs://cont/db                        | LITESTREAM_AZURE_ACCOUNT_KEY | names no account
            abs://cont/db                        | NONE                         | set LITESTREAM_AZURE_ACCOUNT_KEY
            abs://cont/db                        | LITESTREAM_AZURE_SAS_TOKEN   | account name is required when endpoint is not specified
            abs://acct@cont/db?endpoint=ftp://x  | LITESTREAM_AZURE_ACCOUNT_KEY | invalid endpoint 'ftp://x'
            abs://acct:pw@cont/db                | LITESTREAM_AZURE_ACCOUNT_KEY | credentials in the replica URL are not supported
            abs://acct:p/w@cont/db               | LITESTREAM_AZURE_ACCOUNT_KEY | credentials in the replica URL are not supported
            abs://acct@cont/db?endpoint=http://u:pw@127.0.0.1:1/x | LITESTREAM_AZURE_ACCOUNT_KEY | credentials in the endpoint are not supported
            s3://cont/db                         | LITESTREAM_AZURE_ACCOUNT_KEY | not an abs replica URL
            """)
    void rejectsBadConfigurationNamingTheProblem(String url, String variable, String message) {
        ReplicaEnvironment env = ReplicaEnvironment.of(variable.equals("NONE") ? Map.of() : Map.of(variable, "x"));
        assertThatThrownBy(() -> AzureUrlParser.parse(ReplicaUrl.parse(url), env))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining(message)
                .message().doesNotContain(":pw@");
    }
}
