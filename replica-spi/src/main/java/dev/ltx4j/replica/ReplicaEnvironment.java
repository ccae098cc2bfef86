package dev.ltx4j.replica;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where providers read settings that are not in the URL (credentials, endpoints). Injected for testability.
 *
 * <p>Besides named variables, an environment can carry typed components an embedder hands to a backend, e.g. an
 * AWS {@code AwsCredentialsProvider} or an Azure {@code TokenCredential}:
 * {@code ReplicaEnvironment.system().with(AwsCredentialsProvider.class, provider)}.
 */
@FunctionalInterface
public interface ReplicaEnvironment {
    /** The value of a variable, absent when unset or empty. */
    Optional<String> get(String name);

    /** A component registered with {@link #with}, absent by default. */
    default <T> Optional<T> component(Class<T> type) {
        return Optional.empty();
    }

    static ReplicaEnvironment system() {
        return name -> Optional.ofNullable(System.getenv(name)).filter(v -> !v.isEmpty());
    }

    static ReplicaEnvironment of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return name -> Optional.ofNullable(copy.get(name)).filter(v -> !v.isEmpty());
    }

    /** This environment, falling back to {@code other} for names and components it lacks. */
    default ReplicaEnvironment orElse(ReplicaEnvironment other) {
        ReplicaEnvironment self = this;
        return new ReplicaEnvironment() {
            @Override
            public Optional<String> get(String name) {
                return self.get(name).or(() -> other.get(name));
            }

            @Override
            public <T> Optional<T> component(Class<T> type) {
                return self.component(type).or(() -> other.component(type));
            }
        };
    }

    /** This environment plus a component (replacing one of the same type); the variables are unchanged. */
    default <T> ReplicaEnvironment with(Class<T> type, T value) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        ReplicaEnvironment self = this;
        return new ReplicaEnvironment() {
            @Override
            public Optional<String> get(String name) {
                return self.get(name);
            }

            @Override
            public <U> Optional<U> component(Class<U> wanted) {
                return wanted == type ? Optional.of(wanted.cast(value)) : self.component(wanted);
            }
        };
    }
}
