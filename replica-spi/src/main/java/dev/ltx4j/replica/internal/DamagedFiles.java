package dev.ltx4j.replica.internal;

import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;

/**
 * What a user can do about a replica file that does not read as LTX (cut short, damaged): the same advice from
 * every place that meets it, an open in read or write mode and {@code ltx4j restore} (docs/field-probes.md,
 * round 5).
 */
public final class DamagedFiles {
    private DamagedFiles() {
    }

    /** The way forward for a damaged {@code file} of a replica; {@code replicaUrl} (redacted) or null. */
    public static String advice(LtxFileInfo file, String replicaUrl) {
        String s = "put an intact copy of " + file + " back into the replica (from a backup or wherever it was copied"
                + " from), or move it out of the replica if other files still cover its TXIDs (a lower level)";
        if (file.minTxid() > 1) {
            s += "; without either, the last state before it restores with: ltx4j restore --txid "
                    + Txid.format(file.minTxid() - 1) + " -o <new.db> "
                    + (replicaUrl == null ? "<replica URL>" : replicaUrl);
        }
        return s;
    }

    /** {@code e} with the advice for {@code file}; still an {@link LtxFormatException} (callers tell it by type). */
    public static LtxFormatException explain(LtxFormatException e, LtxFileInfo file, String replicaUrl) {
        String name = e.fileName() != null ? e.fileName() : file.toString();
        return new LtxFormatException(name, e.field(), e.detail() + "; " + advice(file, replicaUrl), e);
    }
}
