package dev.vecoptim;

import java.io.IOException;

/**
 * A checkpoint that cannot be loaded: damaged, truncated, of another format version, or of another
 * optimizer structure. When it is thrown, nothing was loaded.
 */
public final class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused checkpoint.
     *
     * @param message what is wrong with the file, naming it
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * A refused checkpoint, from an error that showed it.
     *
     * @param message what is wrong with the file, naming it
     * @param cause the error that showed it
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
