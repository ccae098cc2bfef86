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

    /**
     * Every fault kind the engine scenario uses: all of them except corruption at rest and bit rot in the buffer
     * (the log-writer scenario covers that), which that scenario switches off (the uploader scenario and the LTX decoder tests cover it). The open failure classes a full-plan
     * batch once found are fixed and their seeds are in the regression corpus.
     */
    static FaultPlan engineSafe() {
        return FaultPlan.all().with(FaultKind.CORRUPT_AT_REST, 0).with(FaultKind.BIT_ROT, 0)
                .with(FaultKind.DISK_FULL, 0); // drawn by the log-writer scenario only
    }
}
