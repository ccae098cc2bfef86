package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Where an S3 client's credentials come from, in this order: static keys in the replica environment
 * ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, or the {@code LITESTREAM_} pair, with
 * {@code AWS_SESSION_TOKEN}), then an {@link AwsCredentialsProvider} component of the environment (the embedder's
 * hook), then the AWS SDK's default chain (system properties, environment, web identity, profiles and SSO, container
 * and instance metadata), which refreshes expiring credentials itself. {@link #toString()} never shows a secret.
 *
 * @param provider resolves the credentials for every request; failures come out as {@link Unavailable}
 * @param source what the credentials are, for error messages ("the AWS SDK default chain", ...)
 */
record S3Credentials(AwsCredentialsProvider provider, String source) {

    static S3Credentials from(ReplicaEnvironment env, String replica) throws ReplicaPermanentException {
        Optional<String> id = env.get("AWS_ACCESS_KEY_ID").or(() -> env.get("LITESTREAM_ACCESS_KEY_ID"));
        Optional<String> secret = env.get("AWS_SECRET_ACCESS_KEY").or(() -> env.get("LITESTREAM_SECRET_ACCESS_KEY"));
        if (id.isPresent() && secret.isPresent()) {
            Optional<String> token = env.get("AWS_SESSION_TOKEN");
            AwsCredentials static_ = token.<AwsCredentials>map(t -> AwsSessionCredentials.create(id.get(), secret.get(), t))
                    .orElseGet(() -> AwsBasicCredentials.create(id.get(), secret.get()));
            String source = env.get("AWS_ACCESS_KEY_ID").isPresent()
                    ? "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" : "LITESTREAM_ACCESS_KEY_ID / LITESTREAM_SECRET_ACCESS_KEY";
            return new S3Credentials(StaticCredentialsProvider.create(static_), source);
        }
        if (id.isPresent()) {
            throw new ReplicaPermanentException("s3: incomplete credentials for " + replica
                    + ": an access key id is set but AWS_SECRET_ACCESS_KEY (or LITESTREAM_SECRET_ACCESS_KEY) is not");
        }
        if (secret.isPresent()) {
            throw new ReplicaPermanentException("s3: incomplete credentials for " + replica
                    + ": a secret key is set but AWS_ACCESS_KEY_ID (or LITESTREAM_ACCESS_KEY_ID) is not");
        }
        Optional<AwsCredentialsProvider> hook = env.component(AwsCredentialsProvider.class);
        if (hook.isPresent()) {
            return new S3Credentials(new Reporting(hook.get(), replica, "the configured credentials provider", false),
                    "the configured credentials provider");
        }
        // One chain per client, so a client's cached credentials and chosen provider are its own.
        return new S3Credentials(new Reporting(DefaultCredentialsProvider.builder().build(), replica,
                "the AWS SDK default chain", true), "the AWS SDK default chain");
    }

    /** Stops the default chain's background refresh; an embedder's provider is the embedder's to close. */
    void close() {
        if (provider instanceof Reporting r && r.ownsDelegate()) {
            ((DefaultCredentialsProvider) r.delegate()).close();
        }
    }

    /**
     * What an expired session token means for these credentials and what to do (S3's ExpiredToken): keys set in the
     * environment are read at open and never renewed; the default chain and a hook refresh what they can, so an
     * expired token from them points at a source they cannot renew or at the hook.
     */
    String whenExpired() {
        if (provider instanceof StaticCredentialsProvider) {
            return "the credentials are temporary keys from " + source + " with AWS_SESSION_TOKEN, read at open and"
                    + " not renewed while the process runs, so restart it with new ones (or leave the keys unset so the"
                    + " AWS SDK default chain's profile, web identity, container or instance role, which it refreshes,"
                    + " applies)";
        }
        if (provider instanceof Reporting r && r.ownsDelegate()) {
            return "the credentials came from " + source + ", which refreshes a web identity, container or instance"
                    + " role, or SSO profile before it expires, so this token came from fixed session keys it cannot renew"
                    + " (AWS_SESSION_TOKEN in the process environment, the aws.sessionToken system property or a"
                    + " profile's aws_session_token): renew them there and restart, or check that this host's clock is right";
        }
        return "the credentials came from " + source + " (the AwsCredentialsProvider the application set), which"
                + " returned an expired token: it must renew its credentials before they expire (or check that this"
                + " host's clock is right)";
    }

    /**
     * Whether the provider may hand out other credentials later (the default chain, an embedder's provider); static
     * keys from the environment are read at open and never change.
     */
    boolean renewable() {
        return !(provider instanceof StaticCredentialsProvider);
    }

    @Override
    public String toString() {
        return "S3Credentials[" + source + "]";
    }

    /** A credentials failure, told apart from network and service errors by its type. Carries no secret. */
    static final class Unavailable extends SdkClientException {
        Unavailable(String message, Throwable cause) {
            super(SdkClientException.builder().message(message).cause(cause));
        }
    }

    /** Turns a provider's failure into {@link Unavailable} naming the replica, the source and the provider's reason. */
    private record Reporting(AwsCredentialsProvider delegate, String replica, String source, boolean ownsDelegate)
            implements AwsCredentialsProvider {

        @Override
        public AwsCredentials resolveCredentials() {
            try {
                return delegate.resolveCredentials();
            } catch (RuntimeException e) {
                throw new Unavailable("s3: no credentials for " + replica + " from " + source + ": " + reason(e)
                        + " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile, web identity,"
                        + " container or instance credentials)", e);
            }
        }

        private static String reason(RuntimeException e) {
            return S3ChainReason.of(e.getMessage());
        }

        @Override
        public String toString() {
            return "Reporting[" + source + "]";
        }
    }
}
