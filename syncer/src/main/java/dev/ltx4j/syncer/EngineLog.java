package dev.ltx4j.syncer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's logger, initialised on the first message only: SLF4J looks for providers (and may warn) when first
 * used, so a quiet open never initialises it (at the latest the first sync's debug line does).
 */
final class EngineLog {
    static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private EngineLog() {}
}
