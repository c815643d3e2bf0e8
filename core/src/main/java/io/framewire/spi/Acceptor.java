package io.framewire.spi;

import io.framewire.Address;
import java.io.IOException;
import java.util.concurrent.ThreadFactory;

/**
 * A listening endpoint of a stream transport.
 *
 * <p>{@link #accept} is called by one thread at a time, in a loop; {@link #close} may be called from
 * any thread and makes a blocked {@code accept} throw promptly. Closing an acceptor does not close
 * connections it accepted.
 */
public interface Acceptor extends AutoCloseable {

    /** The address actually bound: with the real port if port 0 was asked for. */
    Address boundAddress();

    /**
     * Waits for the next connection.
     *
     * @throws IOException if the acceptor is closed or failed
     */
    Connection accept() throws IOException;

    /** Makes the thread that runs the accept loop; a virtual thread by default. */
    default ThreadFactory acceptThreads() {
        return Thread.ofVirtual().name("framewire-accept").factory();
    }

    /** Stops listening and releases the address (for AF_UNIX: removes the socket file). Idempotent. */
    @Override
    void close();
}
