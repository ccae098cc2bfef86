package dev.ltx4j.vfs;

import java.io.IOException;

/** A missing or invalid setting for a litestream database; the message names the setting and where it came from. */
public class VfsConfigurationException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the offending setting */
    public VfsConfigurationException(String message) {
        super(message);
    }
}
