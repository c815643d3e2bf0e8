package io.framewire.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what Framewire logs (through System.Logger, which the JDK routes to java.util.logging). */
public final class LogCapture implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.framewire");
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                messages.add(record.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    public LogCapture() {
        logger.addHandler(handler);
    }

    /** Warnings and errors logged so far. */
    public List<String> warnings() {
        return List.copyOf(messages);
    }

    public boolean anyContains(String text) {
        return messages.stream().anyMatch(m -> m.contains(text));
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
