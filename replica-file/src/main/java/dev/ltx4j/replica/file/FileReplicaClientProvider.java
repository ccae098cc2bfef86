package dev.ltx4j.replica.file;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Serves {@code file://} URLs: {@code file:///abs/path} names the replica root directory. As in Litestream, a
 * host part is read as the first path segment ({@code file://host/x} is {@code /host/x}), the path is normalised
 * and the query is ignored. A URL without a path ({@code file://}) is rejected. The directory is created on the
 * first write; it need not exist yet.
 */
public final class FileReplicaClientProvider implements ReplicaClientProvider {

    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return new FileReplicaClient(rootOf(url));
    }

    /** The replica root a {@code file://} URL names, on the default file system. */
    public static Path rootOf(ReplicaUrl url) throws ReplicaPermanentException {
        if (!"file".equals(url.scheme())) {
            throw new ReplicaPermanentException("not a file:// URL: " + url.redacted());
        }
        String raw = url.authority().isEmpty() ? url.path() : "/" + url.authority() + url.path();
        if (raw.isEmpty()) {
            throw new ReplicaPermanentException("file replica path required: " + url.redacted()
                    + " (expected file:///absolute/path)");
        }
        Path root;
        try {
            root = Path.of(raw).normalize();
        } catch (InvalidPathException e) {
            throw new ReplicaPermanentException("invalid file replica path in " + url.redacted() + ": " + e.getMessage(), e);
        }
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new ReplicaPermanentException("file replica path is not a directory: " + root + " (from "
                    + url.redacted() + ")");
        }
        return root;
    }
}
