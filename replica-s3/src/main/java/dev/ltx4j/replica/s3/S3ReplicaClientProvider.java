package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;

/** Serves {@code s3://} URLs; see {@link S3UrlParser} for the grammar and {@link S3ReplicaClient} for behaviour. */
public final class S3ReplicaClientProvider implements ReplicaClientProvider {

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return S3ReplicaClient.open(S3UrlParser.parse(url, env), env);
    }

    /** See {@link S3ReplicaConfig#canonicalIdentity()}. */
    @Override
    public String canonicalIdentity(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return S3UrlParser.parse(url, env).canonicalIdentity();
    }
}
