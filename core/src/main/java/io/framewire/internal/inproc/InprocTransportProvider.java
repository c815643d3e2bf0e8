package io.framewire.internal.inproc;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code inproc://name}: connections inside one JVM through in-memory pipes, for tests and for
 * embedding a server and its clients in one process. It runs the same framing and session code as
 * the socket transports, so it is a faithful stand-in for them in tests.
 */
public final class InprocTransportProvider implements TransportProvider {
    /** Bytes each direction buffers, like a socket's send plus receive buffer. */
    static final int PIPE_BYTES = 256 * 1024;

    private static final Map<String, InprocAcceptor> BOUND = new ConcurrentHashMap<>();
    private static final AtomicLong CLIENTS = new AtomicLong();

    /** inproc has no options; this is the one value. */
    public enum InprocOptions implements TransportOptions { DEFAULT }

    @Override
    public String scheme() {
        return "inproc";
    }

    @Override
    public Set<TransportCapability> capabilities() {
        return EnumSet.of(TransportCapability.RELIABLE_ORDERED);
    }

    @Override
    public TransportOptions defaultOptions() {
        return InprocOptions.DEFAULT;
    }

    @Override
    public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
        requireOptions(options);
        InprocAcceptor acceptor = BOUND.get(address.name());
        if (acceptor == null) {
            throw new ConnectException("connection refused: nothing listening on " + address);
        }
        InprocPipe toServer = new InprocPipe(PIPE_BYTES);
        InprocPipe toClient = new InprocPipe(PIPE_BYTES);
        String clientName = "inproc://" + address.name() + "#client-" + CLIENTS.incrementAndGet();
        Connection client = new InprocConnection(toClient, toServer, clientName, address.toString());
        Connection server = new InprocConnection(toServer, toClient, address.toString(), clientName);
        if (!acceptor.offer(server)) {
            throw new ConnectException("connection refused: nothing listening on " + address);
        }
        return client;
    }

    @Override
    public Acceptor listen(Address address, TransportOptions options) throws IOException {
        requireOptions(options);
        if (address.kind() != Address.Kind.NAME) {
            throw new IllegalArgumentException("an inproc address is inproc://name, got " + address);
        }
        InprocAcceptor a = new InprocAcceptor(address);
        if (BOUND.putIfAbsent(address.name(), a) != null) {
            throw new java.net.BindException("address in use: " + address);
        }
        return a;
    }

    private static void requireOptions(TransportOptions options) {
        if (!(options instanceof InprocOptions)) {
            throw new IllegalArgumentException("inproc takes no options, got " + options);
        }
    }

    /** Pending connections of one bound name; {@code accept} takes them in order. */
    private static final class InprocAcceptor implements Acceptor {
        private static final Connection CLOSED = new InprocConnection(new InprocPipe(1), new InprocPipe(1), "", "");
        private final Address address;
        private final LinkedBlockingQueue<Connection> pending = new LinkedBlockingQueue<>();
        private volatile boolean closed;

        InprocAcceptor(Address address) {
            this.address = address;
        }

        boolean offer(Connection c) {
            if (closed) {
                return false;
            }
            pending.add(c);
            return true;
        }

        @Override
        public Address boundAddress() {
            return address;
        }

        @Override
        public Connection accept() throws IOException {
            Connection c;
            try {
                c = pending.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
            if (c == CLOSED) {
                pending.add(CLOSED);
                throw new IOException("acceptor closed: " + address);
            }
            return c;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                BOUND.remove(address.name(), this);
                pending.add(CLOSED);
                // Connections offered but never accepted are refused.
                for (Connection c : pending) {
                    if (c != CLOSED) {
                        c.close();
                    }
                }
            }
        }
    }
}
