package dev.ltx4j.simulator;

/**
 * An oracle found a safety property broken: the simulation found a bug (or, with a bug switch on, proved it can).
 * The message names the property and the evidence.
 */
public class InvariantViolation extends AssertionError {
    private final String property;

    public InvariantViolation(String property, String evidence) {
        super(property + ": " + evidence);
        this.property = property;
    }

    /** An exception no actor expected: property {@code unexpected-exception}, with the top of its stack. */
    public static InvariantViolation unexpected(Throwable e) {
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < Math.min(8, e.getStackTrace().length); i++) {
            where.append("\n      at ").append(e.getStackTrace()[i]);
        }
        InvariantViolation v = new InvariantViolation("unexpected-exception", e + where.toString());
        v.initCause(e);
        return v;
    }

    /** The short name of the broken property, e.g. {@code durability} or {@code no-fork}. */
    public String property() {
        return property;
    }
}
