/** Azure Blob Storage replica backend (abs:// URLs), on azure-storage-blob with the JDK HTTP client. */
module dev.ltx4j.replica.azure {
    requires dev.ltx4j.replica;
    requires com.azure.core;
    requires java.net.http;
    requires com.azure.core.http.jdk.httpclient;
    requires com.azure.storage.blob;
    requires com.azure.storage.common;
    requires com.azure.identity;

    exports dev.ltx4j.replica.azure;

    provides dev.ltx4j.replica.ReplicaClientProvider with dev.ltx4j.replica.azure.AzureReplicaClientProvider;
}
