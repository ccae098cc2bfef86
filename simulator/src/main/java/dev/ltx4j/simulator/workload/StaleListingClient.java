package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.StoreJournal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A compactor's eventually consistent view of the listings ({@link FaultKind#LISTING_LAG}, longer than the store's
 * own): half the files stay out of this client's listings for a while after they landed (up to {@code maxLag},
 * fixed per file by the seed), so a compactor meets holes in the middle of a level, the case "never compact across
 * a gap" is about. Only the compactors get it; the writer and the followers see the store's usual lag. Reads,
 * creates and deletes are untouched.
 */
final class StaleListingClient extends ForwardingReplicaClient {
    private final World world;
    private final StoreJournal journal;
    private final String prefix;
    private final long salt;
    private final long maxLagNanos;
    private final BooleanSupplier active;

    /** {@code active}: whether the lag applies now (off in the liveness phase). */
    StaleListingClient(ReplicaClient delegate, World world, StoreJournal journal, String prefix, long salt,
            Duration maxLag, BooleanSupplier active) {
        super(delegate);
        this.active = active;
        this.world = world;
        this.journal = journal;
        this.prefix = prefix;
        this.salt = salt;
        this.maxLagNanos = maxLag.toNanos();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        List<LtxFileInfo> files = delegate.listFiles(level, seekTxid, useMetadata);
        if (!world.faults().enabled(FaultKind.LISTING_LAG) || !active.getAsBoolean()) {
            return files;
        }
        long now = world.clock().nanoTime();
        List<LtxFileInfo> out = new ArrayList<>(files.size());
        int hidden = 0;
        for (LtxFileInfo f : files) {
            String key = prefix + "/ltx/" + level + "/" + f.range().filename();
            StoreJournal.Landing l = journal.landing(key);
            long mix = Seeds.mix(salt ^ key.hashCode());
            long lag = (mix & 1) == 0 ? 0 : Math.floorMod(mix >>> 1, maxLagNanos);
            if (l != null && l.landedAtNanos() + lag > now) {
                hidden++;
                continue;
            }
            out.add(f);
        }
        if (hidden > 0) {
            world.fired(FaultKind.LISTING_LAG, "compactor list L" + level + " (" + hidden + " not yet listed)");
        }
        return List.copyOf(out);
    }

}
