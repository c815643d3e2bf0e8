package io.framewire.benchmarks;

/** One connection from the harness to an echo server. */
interface EchoClient extends AutoCloseable {

    /** Sends {@code payload} and waits for the echo, which it returns. */
    byte[] echo(byte[] payload) throws Exception;

    /**
     * Keeps {@code outstanding} calls of {@code payload} in flight on this one connection until
     * {@code deadlineNanos} (a {@link System#nanoTime()} value), checking every echo, and returns how
     * many calls completed. Calls started before the deadline are waited for.
     *
     * <p>By default {@code outstanding} virtual threads each call {@link #echo} in a loop, which needs a
     * client that multiplexes calls; a client that cannot overrides this.
     */
    default long sustain(byte[] payload, int outstanding, long deadlineNanos) throws Exception {
        return BlockingCallers.sustain(this, payload, outstanding, deadlineNanos);
    }

    @Override
    void close() throws java.io.IOException;
}
