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
 * Serves {@code file://} URLs: {@code file:///abs/path} (or {@code file://localhost/abs/path}) names the replica
 * root directory. Any other host, user info, and a URL without an absolute path are rejected: Litestream reads a
 * host as the first path segment, which turns a mistyped {@code file://relative/sub} into {@code /relative/sub}
 * and {@code file://user:pw@/x} into {@code /user:pw@/x}. The path is normalised and the query is ignored. The
 * directory is created on the first write; it need not exist yet.
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

    /**
     * {@code file://} followed by the replica root with every symbolic link resolved ({@code file:///tmp/r},
     * {@code file:/tmp/r/}, {@code file://localhost/tmp/./r} and a link to {@code /tmp/r} are one replica). A root
     * that does not exist yet is resolved through its nearest existing ancestor, so a reader that opens before the
     * writer created the directory still shares its engine.
     */
    @Override
    public String canonicalIdentity(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return "file://" + realPath(rootOf(url));
    }

    /** {@code p} (absolute) with symbolic links resolved as far as it exists; the rest appended as named. */
    static Path realPath(Path p) throws ReplicaPermanentException {
        Path existing = p;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return p;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(p)).normalize();
        } catch (java.io.IOException e) {
            throw new ReplicaPermanentException("cannot resolve file replica path " + p + ": "
                    + dev.ltx4j.replica.internal.FileFailures.describe(e), e);
        }
    }

    /** The replica root a {@code file://} URL names, on the default file system. */
    public static Path rootOf(ReplicaUrl url) throws ReplicaPermanentException {
        if (!"file".equals(url.scheme())) {
            throw new ReplicaPermanentException("not a file:// URL: " + url.redacted());
        }
        if (url.hasUserInfo()) {
            throw new ReplicaPermanentException("file replica URL must not contain user info: " + url.redacted()
                    + " (expected file:///absolute/path)");
        }
        String host = url.authority();
        if (!host.isEmpty() && !host.equalsIgnoreCase("localhost")) {
            throw new ReplicaPermanentException("file replica URL host must be empty or localhost: " + url.redacted()
                    + " (expected file:///absolute/path; for a path relative to the working directory use its"
                    + " absolute form)");
        }
        String raw = url.path();
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
