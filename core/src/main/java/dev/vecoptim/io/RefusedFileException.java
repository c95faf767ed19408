package dev.vecoptim.io;

import java.io.IOException;

/**
 * A file that this package refuses to load, and why, naming the file: damaged, truncated, changed while read,
 * of another format or version, or not what the optimizer has. Nothing was loaded when it is thrown. The
 * public API hands it on as a {@code dev.vecoptim.RefusedFileException} of the same message, cause and stack.
 */
public final class RefusedFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public RefusedFileException(String message) {
        super(message);
    }

    public RefusedFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
