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
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One bound address of a server and its accept loop: a thread that only accepts and hands each
 * connection to a new {@link ServerSession}, or refuses it when the server is at a limit (too many
 * connections, memory budget full): the peer then gets ERROR {@code OVERLOADED} as its first frame. The
 * loop survives what it can (a failed accept, an OutOfMemoryError, which passes once the attacker's
 * connections are shed) and fails loudly on what it cannot: any other Error closes the server. Not API.
 */
public final class Listening {
    /**
     * Refusals written at once, each on a thread of its own for up to {@link #REFUSAL_LINGER_MILLIS}
     * (a peer that reads the ERROR and closes frees its slot at once). Beyond that a flood of
     * connections is closed without the ERROR: answering every one would let the flood cost threads.
     */
    private static final int MAX_CONCURRENT_REFUSALS = 256;
    private static final long REFUSAL_LINGER_MILLIS = 500;

    private final Acceptor acceptor;
    private final TransportProvider transport;
    private final ServerRuntime runtime;
    private final Runnable onFatal;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Semaphore refusing = new Semaphore(MAX_CONCURRENT_REFUSALS);
    private volatile boolean closing;

    private Listening(Acceptor acceptor, TransportProvider transport, ServerRuntime runtime, Runnable onFatal) {
        this.acceptor = acceptor;
        this.transport = transport;
        this.runtime = runtime;
        this.onFatal = onFatal;
    }

    /**
     * Binds {@code address} and starts accepting.
     *
     * @param onFatal closes the server, if the accept loop meets an Error it cannot survive
     * @throws io.framewire.StatusException UNAVAILABLE naming the address if it cannot be bound
     */
    public static Listening start(Address address, TransportOptions optionsOrNull, ServerRuntime runtime,
                                  Runnable onFatal) {
        TransportProvider transport = Transports.forAddress(address);
        TransportOptions options = optionsOrNull != null ? optionsOrNull : transport.defaultOptions();
        Acceptor acceptor;
        try {
            acceptor = transport.listen(address, options);
        } catch (IOException e) {
            throw Status.of(StatusCode.UNAVAILABLE, "cannot listen on " + address + ": " + Session.describe(e)).asException(e);
        }
        Listening l = new Listening(acceptor, transport, runtime, onFatal);
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
                Connection c = null;
                try {
                    c = acceptor.accept();
                    if (closing) {
                        c.close();
                        return;
                    }
                    String refusal = runtime.refusal();
                    if (refusal != null) {
                        refuse(c, refusal);
                        continue;
                    }
                    startSession(c);
                } catch (IOException e) {
                    if (closing) {
                        return;
                    }
                    // For example, out of file descriptors: back off briefly rather than spin.
                    Session.logSafely(Level.WARNING, "accept on " + boundAddress() + " failed: " + Session.describe(e), null);
                    backOff();
                } catch (OutOfMemoryError | RuntimeException e) {
                    // Out of memory passes once the connections that hold it are shed: close this one, go on.
                    closeQuietly(c);
                    Session.logSafely(Level.ERROR, "accepting on " + boundAddress() + " failed", e);
                    backOff();
                }
            }
        } catch (Throwable fatal) {
            Session.logSafely(Level.ERROR, "the accept loop on " + boundAddress() + " met an error it cannot survive; "
                    + "closing the server", fatal);
            try {
                onFatal.run();
            } catch (Throwable ignored) {
                // nothing more can be done
            }
        } finally {
            stopped.countDown();
        }
    }

    private void startSession(Connection c) {
        ServerSession s = new ServerSession(c, transport, runtime);
        try {
            s.start();
        } catch (Throwable t) {
            s.close(Status.of(StatusCode.UNAVAILABLE, "could not start the connection"), null);
            throw t;
        }
    }

    /**
     * Answers a connection the server cannot take with ERROR OVERLOADED in place of a HELLO, then keeps
     * reading (and dropping) for a moment, so the peer reads the ERROR rather than a reset.
     */
    private void refuse(Connection c, String why) {
        Session.logSafely(Level.WARNING, "refusing a connection from " + c.remoteAddress() + ": " + why, null);
        if (!refusing.tryAcquire()) {
            c.close(); // refusing many at once: not even the ERROR
            return;
        }
        try {
            c.readerThreads().newThread(() -> {
                try {
                    c.write(ByteBuffer.wrap(FrameEncoder.encode(new Frame.Error(ErrorCode.OVERLOADED, why))));
                    c.shutdownOutput();
                    Timers.schedule(c::close, REFUSAL_LINGER_MILLIS, TimeUnit.MILLISECONDS);
                    ByteBuffer sink = ByteBuffer.allocate(1024);
                    while (c.read(sink.clear()) >= 0) {
                        // dropped
                    }
                } catch (IOException | RuntimeException e) {
                    // the peer went, or the linger timer closed it
                } finally {
                    c.close();
                    refusing.release();
                }
            }).start();
        } catch (Throwable t) {
            c.close();
            refusing.release();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (Throwable ignored) {
                // closing what failed
            }
        }
    }

    private static void backOff() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
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
