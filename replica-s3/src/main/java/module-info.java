/** S3 replica backend (s3:// URLs), on the AWS SDK v2 sync client with the Apache 5 HTTP client. */
module dev.ltx4j.replica.s3 {
    requires dev.ltx4j.replica;
    requires org.slf4j;
    requires software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.http.apache5;
    // Apache HttpClient 5 (an automatic module, so it cannot say so itself) needs jdk.net.Sockets; an application
    // launched with -m resolves only required modules, and without this its first S3 client failed with
    // NoClassDefFoundError (S3ModulePathTest).
    requires jdk.net;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.retries;
    requires software.amazon.awssdk.retries.api;
    requires software.amazon.awssdk.utils;
    requires software.amazon.awssdk.identity.spi;
    // Web identity (IRSA) in the default chain is found through STS on the module path.
    requires software.amazon.awssdk.services.sts;

    exports dev.ltx4j.replica.s3;

    provides dev.ltx4j.replica.ReplicaClientProvider with dev.ltx4j.replica.s3.S3ReplicaClientProvider;
}
