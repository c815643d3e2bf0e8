package io.framewire.transport.udp;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import io.framewire.transport.udp.multicast.MulticastConnection;
import io.framewire.transport.udp.multicast.MulticastOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code udp://host:port}: unary calls over UDP datagrams, run at most once. IPv4 and IPv6
 * ({@code udp://[::1]:7000}); port 0 binds an ephemeral port.
 *
 * <h2>What a call over udp:// is promised</h2>
 * <ul>
 *   <li>A unary call ends exactly once: with its response, or with a status, at the latest at its
 *       deadline ({@code DEADLINE_EXCEEDED}). Lost, duplicated and reordered datagrams are repaired by
 *       retransmission: the client sends the request again (exponential backoff from
 *       {@link UdpOptions#initialRetransmit()} up to {@link UdpOptions#maxRetransmit()}) until the
 *       server acknowledges it, then polls until the response arrives or the deadline passes.</li>
 *   <li>A handler runs at most once per call: the server's duplicate-request cache remembers each
 *       call from its request's arrival until the client confirms it has moved on, answers a repeated
 *       request from the cache (or acknowledges it while the handler runs), and never runs it again.
 *       The cache is bounded ({@link UdpOptions#cacheEntries()}, {@link UdpOptions#cacheBytes()},
 *       {@link UdpOptions#cacheTtl()}); a response dropped from it before the client got it ends that
 *       call {@code DATA_LOSS} ("the call may have run"), and a request that finds the cache full
 *       ends {@code UNAVAILABLE} without running.</li>
 *   <li>Pub/sub (unicast): publishes, subscribes and unsubscribes are sent again until the server
 *       has them, and a repeated one takes effect once; each delivery is sent once, and the
 *       subscriber sees every sequence number at most once and in order, as a message or inside a
 *       {@code Gap} (reason {@code LOST} for what the network lost), also at the end of a burst: a
 *       subscription that fell quiet is told how far the server sent it ({@link UdpOptions#tailInterval()}),
 *       so a loss shows without waiting for the next message. Subscriptions are leases
 *       ({@link UdpOptions#leaseRenewal()}, {@link UdpOptions#subscriptionLease()}); overflow
 *       policies apply at the broker only, never slowing the server for a subscriber (PROTOCOL.md 9.6).</li>
 *   <li>Not promised: streaming calls (refused {@code UNIMPLEMENTED}: datagrams may be lost or
 *       reordered), repair of lost unicast deliveries (multicast groups repair theirs, below), and delivery of a
 *       cancellation (sent once; a handler that misses it runs to its own deadline).</li>
 * </ul>
 *
 * <h2>Multicast groups</h2>
 * {@code udp://239.x.y.z:port} is a multicast group, which has no server: {@link #connect} returns a
 * {@link MulticastConnection} that plays the broker's part for its own client (publishes go to the
 * group, subscriptions filter what the group carries, lost messages are repaired by NAK within a
 * bounded window or reported as gaps; see {@code PROTOCOL.md} section 10). It takes
 * {@link MulticastOptions} (any other options: its defaults, TTL 1, loopback on). Calls on a group end
 * {@code UNIMPLEMENTED}, and {@link #listen} on a group address fails.
 *
 * <h2>Sessions</h2>
 * {@link #connect} obtains an address-validation cookie from the server (a stateless RETRY, as
 * QUIC's): until a client has echoed it, the server sends that address at most three times the bytes
 * it received from it, so it cannot be used to amplify a spoofed flood. Then the HELLO handshake runs
 * as on stream transports, with the same checks. A client with nothing to send sends keepalives; a
 * peer silent for {@link UdpOptions#idleTimeout()} is dropped. The datagram format is in
 * {@code PROTOCOL.md}, section 9.
 *
 * <h2>Threads, and why the default is what it is</h2>
 * A server socket has one receiver thread, which demultiplexes its peers by source address; a client
 * connection has one receiver; each side's engine reads its connection on a thread of its own, and a
 * virtual ticker thread per endpoint runs retransmissions and timeouts.
 * {@link UdpOptions.ReaderThreads#AUTO}, the default, uses platform threads for a client's receiver and
 * reader and for a server socket's single receiver (one per socket: cheap), and virtual threads for
 * the engine's reader of each server peer (a server may have thousands). Measured with the benchmark
 * harness (64 B unary echo over loopback, separate JVMs, 2 CPUs under a load average of 5 to 11,
 * JDK 25, 2026-12-06, before datagram batching): virtual threads everywhere gave p50 187 us, p99
 * 2,806 us, 23k calls/s at 32 in flight; AUTO gave p50 163 us, p99 463 us, 26k calls/s. Reproduce with
 * {@code ./mvnw -q -B -pl benchmarks -am -Pbench -DskipTests package
 * -Dbench.args="--scenarios=unary --transports=udp --systems=framewire,raw --payloads=64 --reader=virtual"}.
 *
 * <h2>Batching</h2>
 * The DATA datagrams made while the engine writes one batch of frames (it coalesces the frames of many
 * calls under load) travel packed into BATCH datagrams, so that 32 calls in flight cost far fewer
 * system calls than datagrams: with it, 62k calls/s against the raw UDP echo floor's 56k in the same
 * run (without it, 26k).
 */
public final class UdpTransportProvider implements TransportProvider {

    @Override
    public String scheme() {
        return "udp";
    }

    @Override
    public Set<TransportCapability> capabilities() {
        return EnumSet.of(TransportCapability.DATAGRAM, TransportCapability.CROSS_HOST);
    }

    @Override
    public TransportOptions defaultOptions() {
        return UdpOptions.defaults();
    }

    @Override
    public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
        InetAddress ip = resolve(address);
        if (ip.isMulticastAddress()) {
            // A group has no server: the connection plays the broker's part for its own client.
            return MulticastConnection.open(address, options instanceof MulticastOptions m ? m : MulticastOptions.defaults());
        }
        UdpOptions o = udpOptions(options);
        return UdpClientConnection.open(new InetSocketAddress(ip, address.port()), o, timeout);
    }

    @Override
    public Acceptor listen(Address address, TransportOptions options) throws IOException {
        UdpOptions o = udpOptions(options);
        InetAddress ip = resolve(address);
        if (ip.isMulticastAddress()) {
            throw new IOException(address + " is a multicast group, which has no server to listen: members "
                    + "connect to it (Client.connect) to publish and subscribe");
        }
        DatagramChannel ch = DatagramChannel.open(ip instanceof Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET);
        try {
            if (o.socketBufferSize() > 0) {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, o.socketBufferSize());
                ch.setOption(StandardSocketOptions.SO_SNDBUF, o.socketBufferSize());
            }
            try {
                ch.bind(new InetSocketAddress(ip, address.port()));
            } catch (BindException e) {
                // One socket serves a udp server's listener and all its peers, so a closed server keeps
                // its port while its last peers drain. A new server on that port in this process takes
                // over: the old one's remaining peers are closed now, and the bind is tried again while
                // the old socket finishes closing.
                UdpServerEndpoint draining = address.port() == 0 ? null : UdpServerEndpoint.BOUND.get(address.port());
                if (draining != null) {
                    if (!draining.closeDraining()) {
                        throw e;
                    }
                } else if (address.port() == 0 || !UdpServerEndpoint.releasedRecently(address.port())) {
                    throw e;
                }
                bindWhileReleased(ch, new InetSocketAddress(ip, address.port()));
            }
        } catch (BindException e) {
            ch.close();
            throw new BindException("cannot bind " + address + ": " + e.getMessage()
                    + (address.port() != 0 ? " (another process may hold the port)" : ""));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        return new UdpServerEndpoint(ch, address.withPort(port), o);
    }

    /**
     * Binds to a port this process's own endpoint has just let go of: its socket may stay bound a moment
     * after it was closed, so the bind is retried, every millisecond, for at most
     * {@link UdpServerEndpoint#RELEASE_NANOS}, or until the calling thread is interrupted.
     */
    private static void bindWhileReleased(DatagramChannel ch, InetSocketAddress at) throws IOException {
        long deadline = System.nanoTime() + UdpServerEndpoint.RELEASE_NANOS;
        while (true) {
            try {
                ch.bind(at);
                return;
            } catch (BindException e) {
                if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    private static InetAddress resolve(Address address) throws IOException {
        if (address.kind() != Address.Kind.HOST_PORT) {
            throw new IllegalArgumentException("a udp address is udp://host:port, got " + address);
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(address.host());
        } catch (UnknownHostException e) {
            throw new UnknownHostException("unknown host '" + address.host() + "' in " + address);
        }
        return ip;
    }

    private static UdpOptions udpOptions(TransportOptions options) {
        if (options instanceof UdpOptions u) {
            return u;
        }
        throw new IllegalArgumentException("the udp transport takes UdpOptions, got " + options);
    }
}
