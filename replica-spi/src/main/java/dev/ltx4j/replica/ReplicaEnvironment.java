package dev.ltx4j.replica;

import java.util.Map;
import java.util.Optional;

/** Where providers read settings that are not in the URL (credentials, endpoints). Injected for testability. */
@FunctionalInterface
public interface ReplicaEnvironment {
    /** The value of a variable, absent when unset or empty. */
    Optional<String> get(String name);

    static ReplicaEnvironment system() {
        return name -> Optional.ofNullable(System.getenv(name)).filter(v -> !v.isEmpty());
    }

    static ReplicaEnvironment of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return name -> Optional.ofNullable(copy.get(name)).filter(v -> !v.isEmpty());
    }

    /** This environment, falling back to {@code other} for names it lacks. */
    default ReplicaEnvironment orElse(ReplicaEnvironment other) {
        return name -> get(name).or(() -> other.get(name));
    }
}
