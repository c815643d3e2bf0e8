package io.framewire.transport.udp;

import static io.framewire.transport.udp.internal.OptionChecks.atLeast;
import static io.framewire.transport.udp.internal.OptionChecks.datagramSize;
import static io.framewire.transport.udp.internal.OptionChecks.positive;

import io.framewire.spi.TransportOptions;
import io.framewire.transport.udp.internal.OptionChecks;
import java.time.Duration;
import java.util.Objects;

/**
 * Options of the UDP transport. Immutable; build one with {@link #builder()} or change the defaults
 * with {@link #toBuilder()}. The same record configures clients and servers; each side reads the
 * fields that concern it.
 *
 * <pre>{@code
 * UdpOptions lan = UdpOptions.defaults().toBuilder().maxDatagramSize(8192).build();
 * Server.builder().listen("udp://0.0.0.0:7000", lan)
 * Client.builder("udp://10.0.0.5:7000").transportOptions(lan)
 * }</pre>
 *
 * @param maxDatagramSize the largest UDP payload this side sends and accepts, 576 .. 65,507 bytes.
 *        The default, 1200, crosses any path with a 1500-byte MTU (and IPv6's 1280-byte minimum)
 *        without IP fragmentation; loopback and jumbo-frame LANs may use more. Both ends must agree
 *        on at least the smaller of their values: a datagram above the receiver's maximum is dropped.
 * @param socketBufferSize SO_SNDBUF and SO_RCVBUF in bytes (the kernel may cap it), or 0 for the
 *        system default. Large by default so that the fragments of a large message are not dropped
 *        by the receiving kernel in a burst.
 * @param initialRetransmit how long a client waits for a sign of its request (an acknowledgement or
 *        the response) before it sends it again; each further wait doubles, up to
 *        {@code maxRetransmit}, until the call's deadline.
 * @param maxRetransmit the longest wait between two retransmissions (and between two polls for the
 *        response of a call the server is still running).
 * @param keepaliveInterval a client with nothing else to send sends a keepalive this often.
 * @param idleTimeout a peer from which no datagram arrived for this long is dropped (on a server: its
 *        session and all its state; on a client: the connection fails).
 * @param reassemblyTimeout a message whose fragments stopped arriving for this long is discarded.
 * @param maxMessageBytes the largest message (a whole request or response, all its frames) this side
 *        reassembles; a datagram announcing a larger one is dropped.
 * @param reassemblyBytesPerPeer memory for messages being reassembled, per peer.
 * @param reassemblyBytesTotal memory for messages being reassembled, for a whole server together.
 * @param cacheEntries a server's duplicate-request cache: calls remembered at once, all peers together
 *        (a call is remembered from its request's arrival until the client has its response). A
 *        request that would exceed it is answered {@code UNAVAILABLE} without running.
 * @param cacheBytes a server's duplicate-request cache: bytes of responses kept for retransmission,
 *        all peers together; past it the oldest responses are dropped (their calls end
 *        {@code DATA_LOSS} if their clients still need them).
 * @param cacheTtl how long a server keeps a response for a client that has not confirmed it.
 * @param maxPeers how many client sessions a server holds at once.
 * @param heldBytes bytes of requests a client connection holds until their responses arrive, or of
 *        responses a server holds (all peers together) until each is complete, before the engine is
 *        made to wait for room (it gets no credit back).
 * @param readerThreads which kind of thread receives datagrams and reads for the engine;
 *        {@link ReaderThreads#AUTO} by default.
 * @param subscriptionLease a server drops a client's subscription (pub/sub over udp) that was not
 *        renewed for this long; 30 s by default. Keep it well above the clients' {@code leaseRenewal}.
 * @param leaseRenewal how often a client renews each of its subscriptions; 10 s by default.
 * @param subscriptionsPerPeer subscriptions a server holds for one client session; a SUBSCRIBE beyond
 *        it ends with {@code RESOURCE_EXHAUSTED}.
 * @param subscriptionsTotal subscriptions a server holds for all its udp clients together.
 * @param tailInterval a server that sent deliveries on a subscription and then none for this long
 *        tells the client the highest sequence number it sent (a TAIL datagram), so that the client
 *        reports deliveries lost at the end of a burst as a gap without waiting for the next one; it
 *        tells it 1, 3, 7 and 15 intervals after the last delivery (in case a TAIL is lost), then
 *        nothing until the next delivery. 100 ms by default, at most {@link #MAX_TAIL_INTERVAL}.
 */
public record UdpOptions(int maxDatagramSize, int socketBufferSize, Duration initialRetransmit,
                         Duration maxRetransmit, Duration keepaliveInterval, Duration idleTimeout,
                         Duration reassemblyTimeout, int maxMessageBytes, long reassemblyBytesPerPeer,
                         long reassemblyBytesTotal, int cacheEntries, long cacheBytes, Duration cacheTtl,
                         int maxPeers, long heldBytes, ReaderThreads readerThreads, Duration subscriptionLease,
                         Duration leaseRenewal, int subscriptionsPerPeer, int subscriptionsTotal,
                         Duration tailInterval) implements TransportOptions {

    /** The kind of thread that blocks receiving datagrams, and that the engine reads a connection on. */
    public enum ReaderThreads {
        /**
         * Platform threads for a client connection (its receiver and the engine's reader) and for a
         * server socket's one receiver; virtual threads for the engine's reader of each server peer,
         * which a server has many of (the default). See {@link UdpTransportProvider} for the figures.
         */
        AUTO,
        /** Virtual threads everywhere. */
        VIRTUAL,
        /** Platform threads everywhere (one per server peer too). */
        PLATFORM
    }

    /** The largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header). */
    public static final int MAX_UDP_PAYLOAD = OptionChecks.MAX_UDP_PAYLOAD;
    /** The smallest datagram size: the IPv4 minimum reassembly buffer. */
    public static final int MIN_DATAGRAM_SIZE = OptionChecks.MIN_DATAGRAM_SIZE;

    /** The longest {@link #tailInterval()}: a loss told later than this is of no use to a subscriber. */
    public static final Duration MAX_TAIL_INTERVAL = Duration.ofMinutes(1);

    private static final UdpOptions DEFAULTS = new Builder().build();

    public UdpOptions {
        datagramSize(maxDatagramSize);
        if (socketBufferSize < 0) {
            throw new IllegalArgumentException("socketBufferSize must be >= 0 (0 = system default), got " + socketBufferSize);
        }
        positive(initialRetransmit, "initialRetransmit");
        positive(maxRetransmit, "maxRetransmit");
        positive(keepaliveInterval, "keepaliveInterval");
        positive(idleTimeout, "idleTimeout");
        positive(reassemblyTimeout, "reassemblyTimeout");
        positive(cacheTtl, "cacheTtl");
        if (maxRetransmit.compareTo(initialRetransmit) < 0) {
            throw new IllegalArgumentException("maxRetransmit (" + maxRetransmit + ") is shorter than initialRetransmit ("
                    + initialRetransmit + ")");
        }
        if (idleTimeout.compareTo(keepaliveInterval) <= 0) {
            throw new IllegalArgumentException("idleTimeout (" + idleTimeout + ") must be longer than keepaliveInterval ("
                    + keepaliveInterval + ")");
        }
        atLeast(maxMessageBytes, 1024, "maxMessageBytes");
        atLeast(reassemblyBytesPerPeer, maxMessageBytes, "reassemblyBytesPerPeer (at least maxMessageBytes)");
        atLeast(reassemblyBytesTotal, reassemblyBytesPerPeer, "reassemblyBytesTotal (at least reassemblyBytesPerPeer)");
        atLeast(cacheEntries, 1, "cacheEntries");
        atLeast(cacheBytes, 1, "cacheBytes");
        atLeast(maxPeers, 1, "maxPeers");
        atLeast(heldBytes, 1, "heldBytes");
        Objects.requireNonNull(readerThreads, "readerThreads");
        positive(subscriptionLease, "subscriptionLease");
        positive(leaseRenewal, "leaseRenewal");
        atLeast(subscriptionsPerPeer, 1, "subscriptionsPerPeer");
        atLeast(subscriptionsTotal, subscriptionsPerPeer, "subscriptionsTotal (at least subscriptionsPerPeer)");
        positive(tailInterval, "tailInterval");
        if (tailInterval.compareTo(MAX_TAIL_INTERVAL) > 0) {
            throw new IllegalArgumentException("tailInterval must be at most " + MAX_TAIL_INTERVAL + ", got " + tailInterval);
        }
    }

    /** The defaults: 1200-byte datagrams, 100 ms first retransmission, 30 s idle timeout. */
    public static UdpOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link UdpOptions}; not thread-safe. Every setter names a record component. */
    public static final class Builder {
        private int maxDatagramSize = 1200;
        private int socketBufferSize = 4 << 20;
        private Duration initialRetransmit = Duration.ofMillis(100);
        private Duration maxRetransmit = Duration.ofSeconds(1);
        private Duration keepaliveInterval = Duration.ofSeconds(5);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration reassemblyTimeout = Duration.ofSeconds(10);
        private int maxMessageBytes = 16 << 20;
        private long reassemblyBytesPerPeer = 32L << 20;
        private long reassemblyBytesTotal = 256L << 20;
        private int cacheEntries = 100_000;
        private long cacheBytes = 64L << 20;
        private Duration cacheTtl = Duration.ofSeconds(60);
        private int maxPeers = 10_000;
        private long heldBytes = 64L << 20;
        private ReaderThreads readerThreads = ReaderThreads.AUTO;
        private Duration subscriptionLease = Duration.ofSeconds(30);
        private Duration leaseRenewal = Duration.ofSeconds(10);
        private int subscriptionsPerPeer = 1024;
        private int subscriptionsTotal = 100_000;
        private Duration tailInterval = Duration.ofMillis(100);

        private Builder() {}

        private Builder(UdpOptions o) {
            maxDatagramSize = o.maxDatagramSize;
            socketBufferSize = o.socketBufferSize;
            initialRetransmit = o.initialRetransmit;
            maxRetransmit = o.maxRetransmit;
            keepaliveInterval = o.keepaliveInterval;
            idleTimeout = o.idleTimeout;
            reassemblyTimeout = o.reassemblyTimeout;
            maxMessageBytes = o.maxMessageBytes;
            reassemblyBytesPerPeer = o.reassemblyBytesPerPeer;
            reassemblyBytesTotal = o.reassemblyBytesTotal;
            cacheEntries = o.cacheEntries;
            cacheBytes = o.cacheBytes;
            cacheTtl = o.cacheTtl;
            maxPeers = o.maxPeers;
            heldBytes = o.heldBytes;
            readerThreads = o.readerThreads;
            subscriptionLease = o.subscriptionLease;
            leaseRenewal = o.leaseRenewal;
            subscriptionsPerPeer = o.subscriptionsPerPeer;
            subscriptionsTotal = o.subscriptionsTotal;
            tailInterval = o.tailInterval;
        }

        public Builder maxDatagramSize(int v) { maxDatagramSize = v; return this; }
        public Builder socketBufferSize(int v) { socketBufferSize = v; return this; }
        public Builder initialRetransmit(Duration v) { initialRetransmit = v; return this; }
        public Builder maxRetransmit(Duration v) { maxRetransmit = v; return this; }
        public Builder keepaliveInterval(Duration v) { keepaliveInterval = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder reassemblyTimeout(Duration v) { reassemblyTimeout = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder reassemblyBytesPerPeer(long v) { reassemblyBytesPerPeer = v; return this; }
        public Builder reassemblyBytesTotal(long v) { reassemblyBytesTotal = v; return this; }
        public Builder cacheEntries(int v) { cacheEntries = v; return this; }
        public Builder cacheBytes(long v) { cacheBytes = v; return this; }
        public Builder cacheTtl(Duration v) { cacheTtl = v; return this; }
        public Builder maxPeers(int v) { maxPeers = v; return this; }
        public Builder heldBytes(long v) { heldBytes = v; return this; }
        public Builder readerThreads(ReaderThreads v) { readerThreads = v; return this; }
        public Builder subscriptionLease(Duration v) { subscriptionLease = v; return this; }
        public Builder leaseRenewal(Duration v) { leaseRenewal = v; return this; }
        public Builder subscriptionsPerPeer(int v) { subscriptionsPerPeer = v; return this; }
        public Builder subscriptionsTotal(int v) { subscriptionsTotal = v; return this; }
        public Builder tailInterval(Duration v) { tailInterval = v; return this; }

        /** @throws IllegalArgumentException naming the first value out of range */
        public UdpOptions build() {
            return new UdpOptions(maxDatagramSize, socketBufferSize, initialRetransmit, maxRetransmit,
                    keepaliveInterval, idleTimeout, reassemblyTimeout, maxMessageBytes, reassemblyBytesPerPeer,
                    reassemblyBytesTotal, cacheEntries, cacheBytes, cacheTtl, maxPeers, heldBytes, readerThreads,
                    subscriptionLease, leaseRenewal, subscriptionsPerPeer, subscriptionsTotal, tailInterval);
        }
    }
}
