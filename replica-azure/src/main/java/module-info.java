/** Azure Blob Storage replica backend (abs:// URLs). */
module dev.ltx4j.replica.azure {
    requires dev.ltx4j.replica;
}
