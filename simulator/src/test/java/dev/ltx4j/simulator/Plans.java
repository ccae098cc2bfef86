package dev.ltx4j.simulator;

/** Fault plans for the tests. */
final class Plans {
    private Plans() {}

    /**
     * Every fault kind, directory-sync failures included (the pagestore bug they exposed, a reopen that did not
     * sync the directory after a failed rewrite sync, is fixed; its seed is in the regression corpus).
     */
    static FaultPlan safe() {
        return FaultPlan.all();
    }
}
