/** File-system replica backend for file:// URLs, in the layout Litestream uses. */
module dev.ltx4j.replica.file {
    requires dev.ltx4j.replica;
    exports dev.ltx4j.replica.file;
    provides dev.ltx4j.replica.ReplicaClientProvider with dev.ltx4j.replica.file.FileReplicaClientProvider;
}
