package dev.vecoptim;

import java.io.IOException;

/**
 * A checkpoint that cannot be loaded: damaged, truncated, of another format version, or of another
 * optimizer structure. When it is thrown, nothing was loaded.
 */
public final class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
