package io.framewire.internal;

import io.framewire.Address;
import io.framewire.Deadline;
import io.framewire.Status;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One bound address of a server and its accept loop: a thread that only accepts and hands each
 * connection to a new {@link ServerSession}. Not API.
 */
public final class Listening {
    private final Acceptor acceptor;
    private final TransportProvider transport;
    private final ServerRuntime runtime;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closing;

    private Listening(Acceptor acceptor, TransportProvider transport, ServerRuntime runtime) {
        this.acceptor = acceptor;
        this.transport = transport;
        this.runtime = runtime;
    }

    /**
     * Binds {@code address} and starts accepting.
     *
     * @throws io.framewire.StatusException UNAVAILABLE naming the address if it cannot be bound
     */
    public static Listening start(Address address, TransportOptions optionsOrNull, ServerRuntime runtime) {
        TransportProvider transport = Transports.forAddress(address);
        TransportOptions options = optionsOrNull != null ? optionsOrNull : transport.defaultOptions();
        Acceptor acceptor;
        try {
            acceptor = transport.listen(address, options);
        } catch (IOException e) {
            throw Status.of(StatusCode.UNAVAILABLE, "cannot listen on " + address + ": " + Session.describe(e)).asException(e);
        }
        Listening l = new Listening(acceptor, transport, runtime);
        OpenResources.opened(l);
        acceptor.acceptThreads().newThread(l::acceptLoop).start();
        return l;
    }

    public Address boundAddress() {
        return acceptor.boundAddress();
    }

    private void acceptLoop() {
        try {
            while (!closing) {
                Connection c;
                try {
                    c = acceptor.accept();
                } catch (IOException e) {
                    if (closing) {
                        return;
                    }
                    // For example, out of file descriptors: back off briefly rather than spin.
                    Session.LOG.log(Level.WARNING, "accept on " + boundAddress() + " failed: " + Session.describe(e));
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    continue;
                }
                if (closing) {
                    c.close();
                    return;
                }
                ServerSession s = new ServerSession(c, transport, runtime);
                s.start();
            }
        } finally {
            stopped.countDown();
        }
    }

    /** Stops accepting and releases the address. Connections already accepted stay open. */
    public void close() {
        closing = true;
        acceptor.close();
        OpenResources.closed(this);
    }

    public boolean awaitStopped(Deadline deadline) throws InterruptedException {
        return stopped.await(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        return "Listening[" + boundAddress() + "]";
    }
}
