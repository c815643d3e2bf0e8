package io.framewire.transport.udp.multicast;

import static io.framewire.transport.udp.internal.OptionChecks.atLeast;
import static io.framewire.transport.udp.internal.OptionChecks.datagramSize;
import static io.framewire.transport.udp.internal.OptionChecks.positive;

import io.framewire.spi.TransportOptions;
import io.framewire.transport.udp.internal.OptionChecks;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Options of a multicast group connection ({@code udp://239.x.y.z:port}). Immutable; build one with
 * {@link #builder()} or change the defaults with {@link #toBuilder()}.
 *
 * <pre>{@code
 * MulticastOptions lan = MulticastOptions.defaults().toBuilder()
 *         .networkInterface("eth1").ttl(4).build();
 * Connection c = MulticastConnection.open(Address.parse("udp://239.1.2.3:5000"), lan);
 * }</pre>
 *
 * @param networkInterface the name of the interface the group is joined on and sent to (for example
 *        {@code "eth1"}); empty for the loopback interface, so that nothing leaves the host unless
 *        an interface is chosen on purpose
 * @param ttl the IP time-to-live of sent datagrams, 0..255; 1 (the default) keeps them on the local
 *        network segment
 * @param loopback whether this host's own members of the group receive what it sends (including this
 *        connection's own subscriptions); on by default, as a broker delivers a client's publishes to
 *        its own subscriptions
 * @param maxDatagramSize the largest datagram sent and accepted, 576..65,507 bytes; 1200 by default,
 *        which crosses a 1500-byte MTU path without IP fragmentation. Every member of a group should use
 *        the same value or a larger one than the senders
 * @param maxMessageBytes the largest message (one encoded PUBLISH frame) sent or reassembled
 * @param socketBufferSize SO_RCVBUF and SO_SNDBUF, or 0 for the system default
 * @param repair whether receivers ask for lost messages (NAKs) and the publisher keeps a retransmit
 *        buffer to resend them; with it off, every loss is reported as a gap at once the reorder wait
 *        is over
 * @param repairWindow how long a receiver waits for a missing message (for reordering, and for repair
 *        when on) before it reports it lost
 * @param nakInterval the shortest time between two NAKs a receiver sends one publisher; also how
 *        soon a publisher resends one message again
 * @param retransmitBytes the bytes of recent messages a publisher keeps for retransmission
 * @param retransmitAge how long a publisher keeps a message for retransmission
 * @param heartbeatInterval a publisher idle this long after sending tells the group the highest
 *        sequence number it sent (so receivers notice a lost last message), and repeats it while idle
 * @param reorderWindow how many sequence numbers past the oldest missing one a receiver holds before
 *        it reports the oldest lost without waiting further
 * @param reassemblyTimeout an incomplete message whose fragments stopped arriving this long ago is
 *        discarded (and becomes missing: repaired, or a gap)
 * @param reassemblyBytesPerPublisher memory for one publisher's incomplete and out-of-order messages (plus
 *        64 bytes of bookkeeping per sequence number held, which the reorder window bounds)
 * @param reassemblyBytesTotal the same memory for every publisher of this connection together
 * @param maxPublishers publishers tracked at once; a datagram from one more is dropped
 * @param publisherTimeout a publisher silent this long is forgotten (what it left missing becomes a gap)
 * @param maxQueuedBytes deliveries waiting for subscription credit, all subscriptions together; a
 *        subscription over its share (or its own SUBSCRIBE bounds) drops by its overflow policy
 */
public record MulticastOptions(Optional<String> networkInterface, int ttl, boolean loopback, int maxDatagramSize,
                               int maxMessageBytes, int socketBufferSize, boolean repair, Duration repairWindow,
                               Duration nakInterval, long retransmitBytes, Duration retransmitAge,
                               Duration heartbeatInterval, int reorderWindow, Duration reassemblyTimeout,
                               long reassemblyBytesPerPublisher, long reassemblyBytesTotal, int maxPublishers,
                               Duration publisherTimeout, long maxQueuedBytes) implements TransportOptions {

    /** The largest UDP payload over IPv4. */
    public static final int MAX_UDP_PAYLOAD = OptionChecks.MAX_UDP_PAYLOAD;
    /** The smallest maximum datagram size: the IPv4 minimum reassembly buffer. */
    public static final int MIN_DATAGRAM_SIZE = OptionChecks.MIN_DATAGRAM_SIZE;

    private static final MulticastOptions DEFAULTS = new Builder().build();

    public MulticastOptions {
        Objects.requireNonNull(networkInterface, "networkInterface");
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("ttl must be 0..255, got " + ttl);
        }
        datagramSize(maxDatagramSize);
        atLeast(maxMessageBytes, 32 * 1024, "maxMessageBytes");
        long fragments = MulticastLayout.fragmentCount(maxMessageBytes, maxDatagramSize);
        if (fragments > 0xFFFF) {
            throw new IllegalArgumentException("maxMessageBytes " + maxMessageBytes + " needs " + fragments
                    + " fragments of " + maxDatagramSize + "-byte datagrams; at most 65535 fit (raise maxDatagramSize)");
        }
        atLeast(socketBufferSize, 0, "socketBufferSize");
        positive(repairWindow, "repairWindow");
        positive(nakInterval, "nakInterval");
        positive(retransmitAge, "retransmitAge");
        positive(heartbeatInterval, "heartbeatInterval");
        positive(reassemblyTimeout, "reassemblyTimeout");
        positive(publisherTimeout, "publisherTimeout");
        atLeast(retransmitBytes, maxMessageBytes, "retransmitBytes (at least maxMessageBytes)");
        atLeast(reorderWindow, 1, "reorderWindow");
        atLeast(reassemblyBytesPerPublisher, maxMessageBytes, "reassemblyBytesPerPublisher (at least maxMessageBytes)");
        atLeast(reassemblyBytesTotal, reassemblyBytesPerPublisher,
                "reassemblyBytesTotal (at least reassemblyBytesPerPublisher)");
        atLeast(maxPublishers, 1, "maxPublishers");
        atLeast(maxQueuedBytes, maxMessageBytes, "maxQueuedBytes (at least maxMessageBytes)");
        if (publisherTimeout.compareTo(heartbeatInterval.multipliedBy(3)) < 0) {
            throw new IllegalArgumentException("publisherTimeout (" + publisherTimeout
                    + ") must be at least three heartbeat intervals (" + heartbeatInterval + ")");
        }
    }

    /** The defaults: loopback interface, TTL 1, 1200-byte datagrams, repair on within 500 ms. */
    public static MulticastOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link MulticastOptions}; not thread-safe. Every setter names a record component. */
    public static final class Builder {
        private Optional<String> networkInterface = Optional.empty();
        private int ttl = 1;
        private boolean loopback = true;
        private int maxDatagramSize = 1200;
        private int maxMessageBytes = 1 << 20;
        private int socketBufferSize = 4 << 20;
        private boolean repair = true;
        private Duration repairWindow = Duration.ofMillis(500);
        private Duration nakInterval = Duration.ofMillis(20);
        private long retransmitBytes = 16L << 20;
        private Duration retransmitAge = Duration.ofSeconds(2);
        private Duration heartbeatInterval = Duration.ofMillis(100);
        private int reorderWindow = 4096;
        private Duration reassemblyTimeout = Duration.ofSeconds(1);
        private long reassemblyBytesPerPublisher = 8L << 20;
        private long reassemblyBytesTotal = 64L << 20;
        private int maxPublishers = 1024;
        private Duration publisherTimeout = Duration.ofSeconds(30);
        private long maxQueuedBytes = 64L << 20;

        private Builder() {}

        private Builder(MulticastOptions o) {
            networkInterface = o.networkInterface;
            ttl = o.ttl;
            loopback = o.loopback;
            maxDatagramSize = o.maxDatagramSize;
            maxMessageBytes = o.maxMessageBytes;
            socketBufferSize = o.socketBufferSize;
            repair = o.repair;
            repairWindow = o.repairWindow;
            nakInterval = o.nakInterval;
            retransmitBytes = o.retransmitBytes;
            retransmitAge = o.retransmitAge;
            heartbeatInterval = o.heartbeatInterval;
            reorderWindow = o.reorderWindow;
            reassemblyTimeout = o.reassemblyTimeout;
            reassemblyBytesPerPublisher = o.reassemblyBytesPerPublisher;
            reassemblyBytesTotal = o.reassemblyBytesTotal;
            maxPublishers = o.maxPublishers;
            publisherTimeout = o.publisherTimeout;
            maxQueuedBytes = o.maxQueuedBytes;
        }

        /** The interface by name, e.g. {@code "eth1"}; see {@link MulticastOptions#networkInterface()}. */
        public Builder networkInterface(String name) { networkInterface = Optional.of(name); return this; }
        public Builder ttl(int v) { ttl = v; return this; }
        public Builder loopback(boolean v) { loopback = v; return this; }
        public Builder maxDatagramSize(int v) { maxDatagramSize = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder socketBufferSize(int v) { socketBufferSize = v; return this; }
        public Builder repair(boolean v) { repair = v; return this; }
        public Builder repairWindow(Duration v) { repairWindow = v; return this; }
        public Builder nakInterval(Duration v) { nakInterval = v; return this; }
        public Builder retransmitBytes(long v) { retransmitBytes = v; return this; }
        public Builder retransmitAge(Duration v) { retransmitAge = v; return this; }
        public Builder heartbeatInterval(Duration v) { heartbeatInterval = v; return this; }
        public Builder reorderWindow(int v) { reorderWindow = v; return this; }
        public Builder reassemblyTimeout(Duration v) { reassemblyTimeout = v; return this; }
        public Builder reassemblyBytesPerPublisher(long v) { reassemblyBytesPerPublisher = v; return this; }
        public Builder reassemblyBytesTotal(long v) { reassemblyBytesTotal = v; return this; }
        public Builder maxPublishers(int v) { maxPublishers = v; return this; }
        public Builder publisherTimeout(Duration v) { publisherTimeout = v; return this; }
        public Builder maxQueuedBytes(long v) { maxQueuedBytes = v; return this; }

        /** @throws IllegalArgumentException naming the first value out of range */
        public MulticastOptions build() {
            return new MulticastOptions(networkInterface, ttl, loopback, maxDatagramSize, maxMessageBytes,
                    socketBufferSize, repair, repairWindow, nakInterval, retransmitBytes, retransmitAge,
                    heartbeatInterval, reorderWindow, reassemblyTimeout, reassemblyBytesPerPublisher,
                    reassemblyBytesTotal, maxPublishers, publisherTimeout, maxQueuedBytes);
        }
    }
}
