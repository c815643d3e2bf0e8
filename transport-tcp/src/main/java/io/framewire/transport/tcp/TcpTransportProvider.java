package io.framewire.transport.tcp;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadFactory;

/**
 * {@code tcp://host:port} over JDK socket channels in blocking mode. IPv4 and IPv6
 * ({@code tcp://[::1]:7000}); port 0 binds an ephemeral port.
 *
 * <h2>Reader threads, and why the default is what it is</h2>
 * Reads block one thread per connection. {@link TcpOptions.ReaderThreads#AUTO}, the default, reads a
 * connection this side opened (a client's) on a platform thread and an accepted one (a server's) on a
 * virtual thread. Measured with the benchmark harness (unary echo over loopback, one connection,
 * separate JVMs, 2 CPUs, JDK 25; median of three 12-second runs each; 2026-11-22):
 * <pre>
 *   readers (client / server)    64 B: p50   p99   p99.9 us  calls/s@32   4 KiB: p50 us  calls/s@32
 *   virtual  / virtual                101   205    696       114k               116      101k
 *   platform / virtual (AUTO)          89   166    320       113k                88       85k
 *   platform / platform                95   159    341       117k                96      102k
 * </pre>
 * A platform reader on the client side cuts the tail in half (a virtual reader's wake-up goes
 * through the JDK's poller thread and then a carrier thread). On the server side the two kinds give
 * the same latency; virtual readers cost about 17% of 4 KiB throughput here, and in exchange an idle
 * connection costs no platform thread, which is what lets a server hold thousands. A server with few,
 * busy connections may choose {@code PLATFORM}. Reproduce with
 * {@code ./mvnw -q -B -pl benchmarks -am -Pbench -DskipTests package -Dbench.args="--systems=framewire --reader=auto"}.
 */
public final class TcpTransportProvider implements TransportProvider {

    @Override
    public String scheme() {
        return "tcp";
    }

    @Override
    public Set<TransportCapability> capabilities() {
        return EnumSet.of(TransportCapability.RELIABLE_ORDERED, TransportCapability.CROSS_HOST);
    }

    @Override
    public TransportOptions defaultOptions() {
        return TcpOptions.defaults();
    }

    @Override
    public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
        TcpOptions o = tcpOptions(options);
        InetAddress[] candidates = resolve(address);
        long deadline = System.nanoTime() + io.framewire.Deadline.saturatedNanos(timeout);
        IOException last = null;
        // Try each address the name resolves to (localhost may be ::1 and 127.0.0.1), within one timeout.
        for (InetAddress ip : candidates) {
            long leftMillis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            SocketChannel ch = SocketChannel.open();
            try {
                configure(ch, o);
                ch.socket().connect(new InetSocketAddress(ip, address.port()), (int) Math.min(Integer.MAX_VALUE, leftMillis));
                return new TcpConnection(ch, readerThreads(o, true));
            } catch (SocketTimeoutException e) {
                ch.close();
                last = new SocketTimeoutException("connect timed out after " + timeout.toMillis() + " ms ("
                        + describe(ip, address.port()) + " did not answer)");
                break;
            } catch (ConnectException e) {
                ch.close();
                last = new ConnectException("connection refused: nothing listening on " + describe(ip, address.port()));
            } catch (IOException e) {
                ch.close();
                last = new IOException("cannot connect to " + describe(ip, address.port()) + ": " + e.getMessage(), e);
            }
            if (System.nanoTime() >= deadline) {
                break;
            }
        }
        throw last;
    }

    @Override
    public Acceptor listen(Address address, TransportOptions options) throws IOException {
        TcpOptions o = tcpOptions(options);
        InetAddress ip = resolve(address)[0];
        ServerSocketChannel ssc = ServerSocketChannel.open();
        try {
            ssc.setOption(StandardSocketOptions.SO_REUSEADDR, o.reuseAddress());
            if (o.receiveBufferSize() > 0) {
                ssc.setOption(StandardSocketOptions.SO_RCVBUF, o.receiveBufferSize());
            }
            ssc.bind(new InetSocketAddress(ip, address.port()), o.backlog());
        } catch (BindException e) {
            ssc.close();
            throw new BindException("cannot bind " + address + ": " + e.getMessage()
                    + (address.port() != 0 ? " (another process may hold the port)" : ""));
        } catch (IOException e) {
            ssc.close();
            throw e;
        }
        int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
        return new TcpAcceptor(ssc, address.withPort(port), o);
    }

    /** Reader threads for a connection: platform or virtual, by option and by which side opened it. */
    static ThreadFactory readerThreads(TcpOptions o, boolean opened) {
        boolean platform = switch (o.readerThreads()) {
            case PLATFORM -> true;
            case VIRTUAL -> false;
            case AUTO -> opened;
        };
        return platform ? Thread.ofPlatform().name("framewire-tcp-reader").daemon(true).factory()
                : Thread.ofVirtual().name("framewire-tcp-reader").factory();
    }

    private static InetAddress[] resolve(Address address) throws UnknownHostException {
        if (address.kind() != Address.Kind.HOST_PORT) {
            throw new IllegalArgumentException("a tcp address is tcp://host:port, got " + address);
        }
        try {
            return InetAddress.getAllByName(address.host());
        } catch (UnknownHostException e) {
            throw new UnknownHostException("unknown host '" + address.host() + "' in " + address);
        }
    }

    static void configure(SocketChannel ch, TcpOptions o) throws IOException {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, o.noDelay());
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, o.keepAlive());
        if (o.sendBufferSize() > 0) {
            ch.setOption(StandardSocketOptions.SO_SNDBUF, o.sendBufferSize());
        }
        if (o.receiveBufferSize() > 0) {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, o.receiveBufferSize());
        }
    }

    private static TcpOptions tcpOptions(TransportOptions options) {
        if (options instanceof TcpOptions t) {
            return t;
        }
        throw new IllegalArgumentException("the tcp transport takes TcpOptions, got " + options);
    }

    static String describe(InetAddress ip, int port) {
        return Address.ofHostPort("tcp", hostText(ip), port).toString();
    }

    /**
     * An IP address as text, IPv6 in the compressed form of RFC 5952 ({@code ::1}, not the JDK's
     * {@code 0:0:0:0:0:0:0:1}), so addresses read back equal to the ones users write.
     */
    static String hostText(InetAddress ip) {
        if (!(ip instanceof java.net.Inet6Address v6)) {
            return ip.getHostAddress();
        }
        byte[] b = v6.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        // The longest run of two or more zero groups (the first, on a tie) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        if (v6.getScopeId() != 0 || v6.getScopedInterface() != null) {
            sb.append('%').append(v6.getScopedInterface() != null ? v6.getScopedInterface().getName() : v6.getScopeId());
        }
        return sb.toString();
    }

    static String describe(InetSocketAddress a) {
        return a == null ? "tcp://?" : describe(a.getAddress(), a.getPort());
    }

    /** A listening socket; {@link #accept} configures each accepted socket with the listener's options. */
    private static final class TcpAcceptor implements Acceptor {
        private final ServerSocketChannel ssc;
        private final Address bound;
        private final TcpOptions options;

        TcpAcceptor(ServerSocketChannel ssc, Address bound, TcpOptions options) {
            this.ssc = ssc;
            this.bound = bound;
            this.options = options;
        }

        @Override
        public Address boundAddress() {
            return bound;
        }

        @Override
        public Connection accept() throws IOException {
            SocketChannel ch = ssc.accept();
            try {
                configure(ch, options);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new TcpConnection(ch, readerThreads(options, false));
        }

        @Override
        public ThreadFactory acceptThreads() {
            return options.readerThreads() == TcpOptions.ReaderThreads.PLATFORM
                    ? Thread.ofPlatform().name("framewire-tcp-accept").daemon(true).factory()
                    : Thread.ofVirtual().name("framewire-tcp-accept").factory();
        }

        @Override
        public void close() {
            try {
                ssc.close();
            } catch (IOException ignored) {
                // closing a listener cannot fail in a way the caller could act on
            }
        }
    }

    /** A connected socket channel in blocking mode. */
    private static final class TcpConnection implements Connection {
        private final SocketChannel ch;
        private final ThreadFactory readerThreads;
        private final String local;
        private final String remote;

        TcpConnection(SocketChannel ch, ThreadFactory readerThreads) throws IOException {
            this.ch = ch;
            this.readerThreads = readerThreads;
            this.local = describe((InetSocketAddress) ch.getLocalAddress());
            this.remote = describe((InetSocketAddress) ch.getRemoteAddress());
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return ch.read(dst);
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                ch.write(src);
            }
        }

        @Override
        public void shutdownOutput() throws IOException {
            ch.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the socket is gone either way
            }
        }

        @Override
        public ThreadFactory readerThreads() {
            return readerThreads;
        }

        @Override
        public String remoteAddress() {
            return remote;
        }

        @Override
        public String localAddress() {
            return local;
        }
    }
}
