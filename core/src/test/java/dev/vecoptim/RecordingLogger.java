package dev.vecoptim;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

/** A logger that keeps what it is told, as "LEVEL message" lines, for tests of what the library says. */
public final class RecordingLogger implements System.Logger {
    public final List<String> lines = new ArrayList<>();

    public RecordingLogger() {
    }

    @Override
    public String getName() {
        return "recording";
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
        lines.add(level + " " + message);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... parameters) {
        lines.add(level + " " + format);
    }
}
