package io.framewire.transport.tcp;

import io.framewire.spi.TransportOptions;

/**
 * Options of the TCP transport. Immutable; {@code with*} methods return a copy.
 *
 * <pre>{@code
 * Server.builder().listen("tcp://0.0.0.0:7000", TcpOptions.defaults().withBacklog(4096))
 * Client.builder("tcp://db:7000").transportOptions(TcpOptions.defaults().withSendBufferSize(1 << 20))
 * }</pre>
 *
 * @param noDelay TCP_NODELAY: send small frames at once instead of waiting to coalesce them (Nagle).
 *        On by default: Framewire coalesces frames itself, so Nagle would only add latency.
 * @param keepAlive SO_KEEPALIVE: let the kernel probe idle connections (Framewire's own heartbeats
 *        detect a dead peer much sooner; this is a backstop). On by default.
 * @param reuseAddress SO_REUSEADDR on listeners, so a restarted server can bind its port while old
 *        connections linger in TIME_WAIT. On by default.
 * @param backlog the listen backlog: connections the kernel queues before the server accepts them.
 * @param sendBufferSize SO_SNDBUF in bytes, or 0 for the system default.
 * @param receiveBufferSize SO_RCVBUF in bytes, or 0 for the system default.
 * @param readerThreads which kind of thread reads each connection; {@link ReaderThreads#AUTO} by default.
 */
public record TcpOptions(boolean noDelay, boolean keepAlive, boolean reuseAddress, int backlog,
                         int sendBufferSize, int receiveBufferSize, ReaderThreads readerThreads)
        implements TransportOptions {

    /** The kind of thread that blocks reading a connection. */
    public enum ReaderThreads {
        /**
         * Platform threads for connections this side opens, virtual threads for connections a server
         * accepts (the default). A client holds one connection, where a platform reader's lower wake-up
         * latency is worth its cost; a server may hold thousands, where idle virtual readers cost
         * almost nothing. See {@link TcpTransportProvider} for the measurements behind this.
         */
        AUTO,
        /** Virtual threads everywhere. */
        VIRTUAL,
        /** Platform threads everywhere. */
        PLATFORM
    }

    private static final TcpOptions DEFAULTS = new TcpOptions(true, true, true, 1024, 0, 0, ReaderThreads.AUTO);

    public TcpOptions {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
        }
        if (sendBufferSize < 0 || receiveBufferSize < 0) {
            throw new IllegalArgumentException("buffer sizes must be >= 0 (0 = system default)");
        }
        java.util.Objects.requireNonNull(readerThreads, "readerThreads");
    }

    public static TcpOptions defaults() {
        return DEFAULTS;
    }

    public TcpOptions withNoDelay(boolean v) {
        return new TcpOptions(v, keepAlive, reuseAddress, backlog, sendBufferSize, receiveBufferSize, readerThreads);
    }

    public TcpOptions withKeepAlive(boolean v) {
        return new TcpOptions(noDelay, v, reuseAddress, backlog, sendBufferSize, receiveBufferSize, readerThreads);
    }

    public TcpOptions withReuseAddress(boolean v) {
        return new TcpOptions(noDelay, keepAlive, v, backlog, sendBufferSize, receiveBufferSize, readerThreads);
    }

    public TcpOptions withBacklog(int v) {
        return new TcpOptions(noDelay, keepAlive, reuseAddress, v, sendBufferSize, receiveBufferSize, readerThreads);
    }

    public TcpOptions withSendBufferSize(int v) {
        return new TcpOptions(noDelay, keepAlive, reuseAddress, backlog, v, receiveBufferSize, readerThreads);
    }

    public TcpOptions withReceiveBufferSize(int v) {
        return new TcpOptions(noDelay, keepAlive, reuseAddress, backlog, sendBufferSize, v, readerThreads);
    }

    public TcpOptions withReaderThreads(ReaderThreads v) {
        return new TcpOptions(noDelay, keepAlive, reuseAddress, backlog, sendBufferSize, receiveBufferSize, v);
    }
}
