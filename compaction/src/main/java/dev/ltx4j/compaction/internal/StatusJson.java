package dev.ltx4j.compaction.internal;

import dev.ltx4j.compaction.CompactionStatus;

/** Writes {@link CompactionStatus#toJson()}. */
public final class StatusJson {
    private StatusJson() {
    }

    public static String write(CompactionStatus status) {
        throw new UnsupportedOperationException("not yet");
    }
}
