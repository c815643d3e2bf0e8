package io.framewire.spi;

import io.framewire.Address;
import java.io.IOException;

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

    /** Stops listening and releases the address (for AF_UNIX: removes the socket file). Idempotent. */
    @Override
    void close();
}
