/** S3 replica backend (s3:// URLs). */
module dev.ltx4j.replica.s3 {
    requires dev.ltx4j.replica;
}
