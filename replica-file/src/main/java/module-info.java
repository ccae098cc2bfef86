/** File-system replica backend for file:// URLs, in the layout Litestream uses. */
module dev.ltx4j.replica.file {
    requires dev.ltx4j.replica;
}
