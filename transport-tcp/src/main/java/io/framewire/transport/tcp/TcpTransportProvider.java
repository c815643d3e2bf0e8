package io.framewire.transport.tcp;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadFactory;

/**
 * {@code tcp://host:port} over the JDK's blocking {@link Socket}s. IPv4 and IPv6
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
 *
 * <h2>Writes, and interrupts: why sockets, not socket channels</h2>
 * A thread's interrupt must cancel that thread's call, never the connection every call shares. A JDK
 * {@link java.nio.channels.SocketChannel} closes itself, for everyone, when a thread that reads or
 * writes it is interrupted (it is an {@code InterruptibleChannel}), so a caller that wrote its own
 * frames on one would risk the connection at every write. A {@link Socket} does not: on a platform
 * thread its I/O ignores interrupts altogether; on a virtual thread an interrupt closes it only while
 * the thread is parked waiting in an operation. So these connections report
 * {@linkplain Connection#writesSurviveInterrupts writes that survive interrupts} on platform threads,
 * where a caller that finds the connection idle writes its frames itself (no thread hop), and not on
 * virtual threads, whose frames the engine's own writer threads, which nobody interrupts, write.
 * Measured (unary echo, separate JVMs, 2 CPUs, JDK 25, 2026-12-06, {@code benchmarks/compare.sh}
 * against the same build writing from the engine's threads only): the caller's hop to a writer thread
 * cost a platform caller 30 to 37% of its p50 latency over TCP. Sockets read and write arrays, so the
 * engine gives these connections heap buffers ({@link Connection#prefersHeapBuffers}).
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
            Socket socket = new Socket();
            try {
                configure(socket, o);
                socket.connect(new InetSocketAddress(ip, address.port()), (int) Math.min(Integer.MAX_VALUE, leftMillis));
                return new TcpConnection(socket, readerThreads(o, true));
            } catch (SocketTimeoutException e) {
                socket.close();
                last = new SocketTimeoutException("connect timed out after " + timeout.toMillis() + " ms ("
                        + describe(ip, address.port()) + " did not answer)");
                break;
            } catch (ConnectException e) {
                socket.close();
                last = new ConnectException("connection refused: nothing listening on " + describe(ip, address.port()));
            } catch (IOException e) {
                socket.close();
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
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(o.reuseAddress());
            if (o.receiveBufferSize() > 0) {
                server.setReceiveBufferSize(o.receiveBufferSize());
            }
            server.bind(new InetSocketAddress(ip, address.port()), o.backlog());
        } catch (BindException e) {
            server.close();
            throw new BindException("cannot bind " + address + ": " + e.getMessage()
                    + (address.port() != 0 ? " (another process may hold the port)" : ""));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return new TcpAcceptor(server, address.withPort(server.getLocalPort()), o);
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

    static void configure(Socket socket, TcpOptions o) throws IOException {
        socket.setTcpNoDelay(o.noDelay());
        socket.setKeepAlive(o.keepAlive());
        if (o.sendBufferSize() > 0) {
            socket.setSendBufferSize(o.sendBufferSize());
        }
        if (o.receiveBufferSize() > 0) {
            socket.setReceiveBufferSize(o.receiveBufferSize());
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
        private final ServerSocket server;
        private final Address bound;
        private final TcpOptions options;

        TcpAcceptor(ServerSocket server, Address bound, TcpOptions options) {
            this.server = server;
            this.bound = bound;
            this.options = options;
        }

        @Override
        public Address boundAddress() {
            return bound;
        }

        @Override
        public Connection accept() throws IOException {
            Socket socket = server.accept();
            try {
                configure(socket, options);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            return new TcpConnection(socket, readerThreads(options, false));
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
                server.close();
            } catch (IOException ignored) {
                // closing a listener cannot fail in a way the caller could act on
            }
        }
    }

    /** A connected socket, read and written through its streams, with arrays. */
    private static final class TcpConnection implements Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final ThreadFactory readerThreads;
        private final String local;
        private final String remote;
        /** For a direct buffer handed in anyway (the engine hands heap buffers): its bytes pass through this. */
        private byte[] scratch;

        TcpConnection(Socket socket, ThreadFactory readerThreads) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.readerThreads = readerThreads;
            this.local = describe((InetSocketAddress) socket.getLocalSocketAddress());
            this.remote = describe((InetSocketAddress) socket.getRemoteSocketAddress());
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (dst.hasArray()) {
                int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }
            byte[] b = new byte[Math.min(dst.remaining(), 64 * 1024)];
            int n = in.read(b);
            if (n > 0) {
                dst.put(b, 0, n);
            }
            return n;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
                src.position(src.limit());
                return;
            }
            if (scratch == null) {
                scratch = new byte[16 * 1024];
            }
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), scratch.length);
                src.get(scratch, 0, n);
                out.write(scratch, 0, n);
            }
        }

        /**
         * On a platform thread, yes: socket I/O there ignores interrupts. On a virtual thread an interrupt
         * closes the socket while the thread waits in a write, so no.
         */
        @Override
        public boolean writesSurviveInterrupts() {
            return !Thread.currentThread().isVirtual();
        }

        @Override
        public boolean prefersHeapBuffers() {
            return true;
        }

        @Override
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                socket.close();
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
