package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.util.Optional;

/** Static S3 credentials read from the environment. {@link #toString()} never shows the secret or the token. */
record S3Credentials(String accessKeyId, String secretAccessKey, Optional<String> sessionToken) {

    static S3Credentials from(ReplicaEnvironment env, String replica) throws ReplicaPermanentException {
        Optional<String> id = env.get("AWS_ACCESS_KEY_ID").or(() -> env.get("LITESTREAM_ACCESS_KEY_ID"));
        Optional<String> secret = env.get("AWS_SECRET_ACCESS_KEY").or(() -> env.get("LITESTREAM_SECRET_ACCESS_KEY"));
        if (id.isEmpty() && secret.isEmpty()) {
            throw new ReplicaPermanentException("s3: no credentials for " + replica
                    + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or LITESTREAM_ACCESS_KEY_ID and"
                    + " LITESTREAM_SECRET_ACCESS_KEY)");
        }
        if (id.isEmpty()) {
            throw new ReplicaPermanentException("s3: incomplete credentials for " + replica
                    + ": a secret key is set but AWS_ACCESS_KEY_ID (or LITESTREAM_ACCESS_KEY_ID) is not");
        }
        if (secret.isEmpty()) {
            throw new ReplicaPermanentException("s3: incomplete credentials for " + replica
                    + ": an access key id is set but AWS_SECRET_ACCESS_KEY (or LITESTREAM_SECRET_ACCESS_KEY) is not");
        }
        return new S3Credentials(id.get(), secret.get(), env.get("AWS_SESSION_TOKEN"));
    }

    @Override
    public String toString() {
        return "S3Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***"
                + sessionToken.map(t -> ", sessionToken=***").orElse("") + "]";
    }
}
