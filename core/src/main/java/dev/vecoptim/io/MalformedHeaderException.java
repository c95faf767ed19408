package dev.vecoptim.io;

/** A checkpoint header that cannot be read: the message says why. */
public final class MalformedHeaderException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedHeaderException(String message) {
        super(message);
    }
}
