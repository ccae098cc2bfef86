package dev.ltx4j.compaction.internal;

import dev.ltx4j.compaction.CompactionException;
import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionResult.Outcome;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges a chain of files into one file at a level and creates it only if absent, settling races: the output is a
 * deterministic function of immutable inputs, so a file of the same name with the same header range and page size is
 * the same work done by someone else.
 */
public final class Merger {
    private static final Logger LOG = LoggerFactory.getLogger(Merger.class);

    private final ReplicaClient client;
    private final CompactionFaults faults;
    private final Path spoolDirectory;
    private final long memoryBudget;
    private final CreatedSink createdSink;

    /** Told the bytes of an output this merger created itself (its create succeeded), while they are still at hand. */
    @FunctionalInterface
    public interface CreatedSink {
        void created(LtxFileInfo info, LtxBody body) throws IOException;
    }

    public Merger(ReplicaClient client, CompactionFaults faults, Path spoolDirectory, long memoryBudget) {
        this(client, faults, spoolDirectory, memoryBudget, null);
    }

    /** @param createdSink told each output this merger created (not one found already there); null for none */
    public Merger(ReplicaClient client, CompactionFaults faults, Path spoolDirectory, long memoryBudget,
            CreatedSink createdSink) {
        this.client = client;
        this.faults = faults;
        this.spoolDirectory = spoolDirectory;
        this.memoryBudget = memoryBudget;
        this.createdSink = createdSink;
    }

    /**
     * Merges {@code inputs} (a contiguous chain, unless {@code allowGaps}) into {@code level}.
     *
     * @param more passed through to the result
     */
    public CompactionResult merge(int level, List<LtxFileInfo> inputs, boolean allowGaps, boolean more)
            throws IOException {
        return merge(level, inputs, new byte[inputs.size()][], allowGaps, more);
    }

    /**
     * Like {@link #merge(int, List, boolean, boolean)}, with the bytes of some inputs already at hand ({@code held[i]}
     * non-null: the writer's own upload, proven to be the stored file; the rest are downloaded).
     */
    public CompactionResult merge(int level, List<LtxFileInfo> inputs, byte[][] held, boolean allowGaps, boolean more)
            throws IOException {
        long min = inputs.get(0).minTxid();
        long max = inputs.get(inputs.size() - 1).maxTxid();
        try (Spool spool = new Spool(spoolDirectory, memoryBudget)) {
            List<LtxSource> sources = new ArrayList<>(inputs.size());
            boolean tracked = true;
            for (int i = 0; i < inputs.size(); i++) {
                LtxFileInfo f = inputs.get(i);
                LtxSource s = held[i] != null ? LtxSource.ofBytes(f.toString(), held[i]) : spool.fetch(client, f);
                sources.add(s);
                tracked &= !header(s).noChecksum();
            }
            Spool.Output out = spool.output();
            LtxEncodeResult encoded;
            try {
                encoded = compact(sources, out, tracked, allowGaps);
            } catch (LtxFormatException e) {
                if (!tracked || !e.getMessage().contains("checksum")) {
                    throw e;
                }
                // Inputs whose database checksums do not add up: merge as Litestream would, without them.
                LOG.warn("compaction into L{} of {} inputs {} .. {}: {}; writing the file without database checksums",
                        level, inputs.size(), inputs.get(0), inputs.get(inputs.size() - 1), e.getMessage());
                out = spool.output();
                encoded = compact(sources, out, false, allowGaps);
            }
            LtxBody body = out.body();
            LtxHeader header = encoded.header();
            if (header.minTxid() != min || header.maxTxid() != max) {
                throw new CompactionException("inputs " + inputs + " carry TXIDs " + header.range()
                        + " in their headers, not the " + new dev.ltx4j.ltx.TxidRange(min, max) + " their names say");
            }
            return create(level, header, body, inputs, more);
        }
    }

    private static LtxEncodeResult compact(List<LtxSource> sources, Spool.Output out, boolean tracked,
            boolean allowGaps) throws IOException {
        try (out) {
            return LtxCompactor.compact(sources, out, tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, allowGaps);
        }
    }

    private static LtxHeader header(LtxSource s) throws IOException {
        try (InputStream in = s.open()) {
            return LtxHeader.parse(in.readNBytes(Ltx.HEADER_SIZE), s.name());
        }
    }

    private CompactionResult create(int level, LtxHeader header, LtxBody body, List<LtxFileInfo> inputs,
            boolean more) throws IOException {
        long min = header.minTxid();
        long max = header.maxTxid();
        LtxFileInfo planned = new LtxFileInfo(level, min, max, body.length(), Instant.ofEpochMilli(header.timestamp()));
        FaultCrash.run(() -> faults.beforeCreate(planned));
        LtxFileInfo info;
        Outcome outcome;
        try {
            info = client.createFile(level, min, max, body);
            outcome = Outcome.CREATED;
            if (createdSink != null) {
                // Exactly these bytes are stored under that name (a create of unknown outcome is not told: its
                // read-back checks the header only).
                createdSink.created(info, body);
            }
        } catch (ReplicaAlreadyExistsException e) {
            info = existing(planned, header, e);
            outcome = Outcome.ALREADY_COMPACTED;
        } catch (ReplicaOutcomeUnknownException e) {
            // Read back: a file of this name that matches is ours or an equal one; none means it did not land.
            try {
                info = existing(planned, header, e);
            } catch (ReplicaNotFoundException gone) {
                e.addSuppressed(gone);
                throw e;
            }
            outcome = Outcome.CREATED;
        }
        LtxFileInfo done = info;
        FaultCrash.run(() -> faults.afterCreate(done));
        return new CompactionResult(level, outcome, info, inputs, more);
    }

    /** The file already at {@code planned}'s name, checked against what this compaction produced. */
    private LtxFileInfo existing(LtxFileInfo planned, LtxHeader ours, ReplicaException cause) throws IOException {
        byte[] head = client.readRange(planned.level(), planned.minTxid(), planned.maxTxid(), 0, Ltx.HEADER_SIZE);
        LtxHeader theirs;
        try {
            theirs = LtxHeader.parse(head, planned.toString());
        } catch (LtxFormatException e) {
            throw new CompactionException(planned + " already exists but its header is unreadable (" + e.getMessage()
                    + "); this compaction produced TXIDs " + ours.range() + " with page size " + ours.pageSize(), e);
        }
        if (theirs.minTxid() != ours.minTxid() || theirs.maxTxid() != ours.maxTxid()
                || theirs.pageSize() != ours.pageSize()) {
            throw new CompactionException(planned + " already exists with TXIDs " + theirs.range() + " and page size "
                    + theirs.pageSize() + "; this compaction produced TXIDs " + ours.range() + " with page size "
                    + ours.pageSize(), cause);
        }
        for (LtxFileInfo f : client.listFiles(planned.level(), planned.minTxid(), false)) {
            if (f.minTxid() == planned.minTxid() && f.maxTxid() == planned.maxTxid()) {
                return f;
            }
        }
        return planned;
    }
}
