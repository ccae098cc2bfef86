package dev.ltx4j.simulator.property;

/**
 * A property failed. The message names the try seed, the original and minimal inputs, the failure of the
 * minimal input, and the exact command that replays it; {@link #getCause()} is the minimal input's failure.
 */
public final class PropertyFailure extends AssertionError {
    private final long seed;
    private final transient Object original;
    private final transient Object minimal;
    private final String replayCommand;

    PropertyFailure(String message, long seed, Object original, Object minimal, String replayCommand,
            Throwable cause) {
        super(message, cause);
        this.seed = seed;
        this.original = original;
        this.minimal = minimal;
        this.replayCommand = replayCommand;
    }

    /** The seed of the failing try: replaying it regenerates the original input. */
    public long seed() {
        return seed;
    }

    /** The generated input that failed first. */
    public Object original() {
        return original;
    }

    /** The shrunk input that still fails. */
    public Object minimal() {
        return minimal;
    }

    /** The command line or system property that replays the failure. */
    public String replayCommand() {
        return replayCommand;
    }
}
