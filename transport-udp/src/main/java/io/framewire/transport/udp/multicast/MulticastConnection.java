package io.framewire.transport.udp.multicast;

import io.framewire.Address;
import io.framewire.internal.Topics;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A connection to a multicast group, {@code udp://239.x.y.z:port}: brokerless publish/subscribe, as
 * ZeroMQ's PGM sockets and Aeron's multicast channels are. There is no server: this connection plays
 * the broker's part for its own client. To the session engine it is an ordinary {@link Connection}
 * that answers the HELLO, turns the client's PUBLISH frames into multicast datagrams, keeps its
 * SUBSCRIBE and UNSUBSCRIBE state, and turns what the group sends into DELIVER frames numbered per
 * subscription, within the client's credit, with GAP frames for what was lost.
 *
 * <pre>{@code
 * // what the udp transport does for a multicast address:
 * Connection c = MulticastConnection.open(Address.parse("udp://239.1.2.3:5000"), MulticastOptions.defaults());
 * // what a user writes:
 * Client client = Client.connect("udp://239.1.2.3:5000");
 * client.subscribe("prices.>", SubscribeOptions.DEFAULT, listener);
 * client.publish("prices.eur", bytes);   // reaches every member of the group
 * }</pre>
 *
 * <h2>What a member of a group is promised</h2>
 * <ul>
 *   <li>Messages of one publisher arrive in the order it published them, each at most once
 *       (duplicates are dropped, reordering undone within {@link MulticastOptions#reorderWindow()}).</li>
 *   <li>With {@link MulticastOptions#repair()} (the default) a receiver that misses a message asks its
 *       publisher again (a NAK, unicast to the publisher's address, rate-limited), and the publisher
 *       resends it from a retransmit buffer bounded in bytes and age. What is not repaired within
 *       {@link MulticastOptions#repairWindow()} is reported to every subscription as a gap.</li>
 *   <li>A receiver follows a publisher from the first heartbeat (or message) it hears from it: what
 *       was published before is not reported. A publisher announces itself with a heartbeat when it
 *       opens, and a new member asks the publishers already there for one (SOLICIT), so in either
 *       order a member sees every message published after both were there, or a gap.</li>
 *   <li>Not supported: calls of any shape (they end {@code UNIMPLEMENTED}: a group has no server to
 *       answer them), queue groups (SUBSCRIPTION_END {@code UNIMPLEMENTED}), publish acknowledgements
 *       beyond "sent to the group", and the BLOCK and DISCONNECT overflow policies, which act as
 *       DROP_NEWEST (nothing can slow down or disconnect a multicast sender). IPv6 groups are refused.</li>
 * </ul>
 *
 * <h2>Threads and bounds</h2>
 * Two virtual threads receive (the group's datagrams; NAKs sent to this publisher), and a virtual
 * ticker runs NAKs, gap deadlines, reassembly timeouts and heartbeats. The engine's writer publishes
 * on its own thread. Reassembly, reordering, the retransmit buffer and queued deliveries are each
 * bounded by an option; a malformed or hostile datagram is dropped and counted, never fatal.
 */
public final class MulticastConnection implements Connection {
    private static final Logger LOG = Logger.getLogger(MulticastConnection.class.getName());

    /**
     * Drops received group datagrams before the receiver sees them: a loss seam for tests, as Aeron's
     * debug loss generators, given to the package-private {@link #open(Address, MulticastOptions,
     * DatagramFilter)} (the public {@link #open(Address, MulticastOptions)} applies none).
     */
    interface DatagramFilter {
        DatagramFilter NONE = (buf, length) -> false;

        boolean drop(byte[] buf, int length);
    }

    private final Address group;
    private final InetSocketAddress groupSocket;
    private final MulticastOptions options;
    private final DatagramChannel groupChannel;
    private final DatagramChannel sendChannel;
    private final DatagramFilter filter;
    private final MulticastCounters counters = new MulticastCounters();
    private final long tickNanos;

    /** Guards the receiver, the broker and the bytes toward the engine. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final MulticastReceiver receiver;
    private final LocalBroker broker;
    private final ArrayDeque<byte[]> toClient = new ArrayDeque<>();
    private int headOffset;
    /** The engine reads end of stream once {@link #toClient} is drained. */
    private boolean endOfStream;
    private volatile boolean closed;
    /** Set by the group's reader under {@link #lock}, answered by it after unlocking (never both locks at once). */
    private boolean solicitPending;

    /** Guards the publisher and sends to the group. */
    private final ReentrantLock sendLock = new ReentrantLock();
    private final MulticastPublisher publisher;

    /** Used only by the engine's writer. */
    private final FrameDecoder decoder;
    private final int publishWindow;
    private long publishUnreturned;
    private final String remote;
    private final String local;
    private volatile List<Thread> threads = List.of();

    private MulticastConnection(Address group, InetSocketAddress groupSocket, MulticastOptions options,
                                DatagramChannel groupChannel, DatagramChannel sendChannel, DatagramFilter filter) throws IOException {
        this.group = group;
        this.groupSocket = groupSocket;
        this.options = options;
        this.groupChannel = groupChannel;
        this.sendChannel = sendChannel;
        this.filter = filter;
        this.tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(options.nakInterval().toNanos() / 4,
                TimeUnit.MILLISECONDS.toNanos(10)));
        this.receiver = new MulticastReceiver(options, counters, new MulticastReceiver.Output() {
            @Override
            public void message(long publisherId, byte[] message) {
                if (!broker.message(message)) {
                    counters.drop(MulticastCounters.Drop.MALFORMED_MESSAGE);
                    broker.lost(1);
                }
            }

            @Override
            public void lost(long publisherId, long count) {
                broker.lost(count);
            }

            @Override
            public void send(InetSocketAddress to, byte[] datagram) {
                sendQuietly(datagram, to);
            }

            @Override
            public void solicited() {
                solicitPending = true;
            }
        });
        this.broker = new LocalBroker(this::toClientLocked, options.maxQueuedBytes());
        long id;
        SecureRandom random = new SecureRandom();
        do {
            id = random.nextLong();
        } while (id == 0);
        this.publisher = new MulticastPublisher(id, options, counters, System.nanoTime());
        this.decoder = FrameDecoder.forConnection(maxFrame(options));
        this.publishWindow = Setting.PUBLISH_WINDOW.defaultValue();
        this.remote = group.toString();
        this.local = "udp://" + hostPort((InetSocketAddress) sendChannel.getLocalAddress());
    }

    /**
     * Joins the group at {@code address} and returns a connection for one client. Nothing is sent
     * until the engine writes its HELLO, but a heartbeat announcing this connection as a publisher.
     *
     * @throws IOException naming the address and the reason if the group cannot be joined (not a
     *         multicast address, no such interface, the port cannot be bound)
     * @throws IllegalArgumentException if the address is not {@code udp://host:port}
     */
    public static MulticastConnection open(Address address, MulticastOptions options) throws IOException {
        return open(address, options, DatagramFilter.NONE);
    }

    static MulticastConnection open(Address address, MulticastOptions options, DatagramFilter filter) throws IOException {
        if (address.kind() != Address.Kind.HOST_PORT) {
            throw new IllegalArgumentException("a multicast group is udp://239.x.y.z:port, got " + address);
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(address.host());
        } catch (UnknownHostException e) {
            throw new UnknownHostException("unknown host '" + address.host() + "' in " + address);
        }
        if (!ip.isMulticastAddress()) {
            throw new IOException(address + " is not a multicast group (224.0.0.0/4)");
        }
        if (!(ip instanceof Inet4Address)) {
            throw new IOException(address + ": IPv6 multicast groups are not supported yet; use an IPv4 group");
        }
        if (address.port() == 0) {
            throw new IOException(address + ": a multicast group needs a port, every member the same");
        }
        NetworkInterface nif = networkInterface(options, address);
        InetAddress ifAddress = nif.inetAddresses().filter(a -> a instanceof Inet4Address).findFirst()
                .orElseThrow(() -> new IOException("interface " + nif.getName() + " has no IPv4 address to join "
                        + address + " on"));
        DatagramChannel groupChannel = null;
        DatagramChannel sendChannel = null;
        try {
            groupChannel = DatagramChannel.open(StandardProtocolFamily.INET);
            groupChannel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            sendChannel = DatagramChannel.open(StandardProtocolFamily.INET);
            if (options.socketBufferSize() > 0) {
                groupChannel.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferSize());
                sendChannel.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferSize());
                sendChannel.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferSize());
            }
            // Bound to the group's address, the socket takes this group's datagrams only.
            groupChannel.bind(new InetSocketAddress(ip, address.port()));
            groupChannel.join(ip, nif);
            sendChannel.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
            sendChannel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, options.ttl());
            sendChannel.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, options.loopback());
            sendChannel.bind(new InetSocketAddress(ifAddress, 0));
            return overChannels(address, new InetSocketAddress(ip, address.port()), options, groupChannel, sendChannel,
                    filter);
        } catch (IOException | RuntimeException e) {
            closeQuietly(groupChannel);
            closeQuietly(sendChannel);
            if (e instanceof IOException io) {
                throw new IOException("cannot join " + address + " on " + nif.getName() + ": " + io.getMessage(), io);
            }
            throw e;
        }
    }

    /**
     * A connection over channels the caller has bound: what {@link #open} does after joining, for tests
     * that stand a unicast socket in for the group where multicast cannot run (outside a namespace).
     */
    static MulticastConnection overChannels(Address group, InetSocketAddress groupSocket, MulticastOptions options,
                                            DatagramChannel groupChannel, DatagramChannel sendChannel,
                                            DatagramFilter filter) throws IOException {
        MulticastConnection c = new MulticastConnection(group, groupSocket, options, groupChannel, sendChannel, filter);
        c.start();
        return c;
    }

    private static NetworkInterface networkInterface(MulticastOptions options, Address address) throws IOException {
        if (options.networkInterface().isPresent()) {
            String name = options.networkInterface().get();
            NetworkInterface nif = NetworkInterface.getByName(name);
            if (nif == null) {
                throw new IOException("no network interface '" + name + "' to join " + address + " on");
            }
            return nif;
        }
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getByName("127.0.0.1"));
        if (lo == null) {
            throw new IOException("no loopback interface to join " + address + " on; name one in MulticastOptions");
        }
        return lo;
    }

    private void start() {
        // Announce this publisher to the members already there, and ask the publishers already there
        // where their streams are, so this member follows them from their next message.
        sendQuietly(publisherHeartbeat(), groupSocket);
        sendQuietly(MulticastLayout.solicit(publisherId()), groupSocket);
        threads = List.of(Thread.ofVirtual().name("framewire-mcast-group").start(this::readGroup),
                Thread.ofVirtual().name("framewire-mcast-nak").start(this::readUnicast),
                Thread.ofVirtual().name("framewire-mcast-ticker").start(this::tick));
    }

    private long publisherId() {
        return publisher.id();
    }

    private void answerSolicit() {
        sendLock.lock();
        try {
            byte[] hb = publisher.answerSolicit(System.nanoTime());
            if (hb != null) {
                sendQuietly(hb, groupSocket);
            }
        } finally {
            sendLock.unlock();
        }
    }

    private byte[] publisherHeartbeat() {
        sendLock.lock();
        try {
            return publisher.heartbeat(System.nanoTime());
        } finally {
            sendLock.unlock();
        }
    }

    // --- the group's datagrams ---

    private void readGroup() {
        ByteBuffer buf = ByteBuffer.allocate(options.maxDatagramSize() + 1); // one more: an oversized one shows
        while (!closed) {
            SocketAddress from = receive(groupChannel, buf, "receiving from " + group);
            if (from == null) {
                return;
            }
            if (filter.drop(buf.array(), buf.position())) {
                continue;
            }
            boolean solicited;
            lock.lock();
            try {
                receiver.onDatagram(buf.array(), buf.position(), (InetSocketAddress) from, System.nanoTime());
            } catch (RuntimeException e) {
                // A bug must not end the connection for one datagram; the datagram is lost like any other.
                LOG.log(Level.WARNING, "dropped a datagram from " + from + " that could not be handled", e);
            } finally {
                solicited = solicitPending;
                solicitPending = false;
                lock.unlock();
            }
            if (solicited) {
                answerSolicit();
            }
        }
    }

    /**
     * Receives one datagram into {@code buf} (cleared first), blocking; null once the channel is closed,
     * or has failed, which ends the connection.
     */
    private SocketAddress receive(DatagramChannel channel, ByteBuffer buf, String what) {
        try {
            SocketAddress from;
            do {
                buf.clear();
                from = channel.receive(buf);
            } while (from == null && !closed);
            return from;
        } catch (ClosedChannelException e) {
            return null;
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.WARNING, what + " failed; the connection ends", e);
                fail();
            }
            return null;
        }
    }

    /** NAKs sent to this connection's publisher. */
    private void readUnicast() {
        byte[] arr = new byte[options.maxDatagramSize() + 1];
        ByteBuffer buf = ByteBuffer.wrap(arr);
        while (!closed) {
            if (receive(sendChannel, buf, "receiving NAKs on " + local) == null) {
                return;
            }
            counters.datagramsIn.increment();
            MulticastDatagram d = MulticastDatagram.parse(arr, buf.position(), options.maxMessageBytes(),
                    options.maxDatagramSize());
            switch (d) {
                case MulticastDatagram.Rejected r -> counters.drop(r.reason());
                case MulticastDatagram.Nak nak -> answerNak(nak);
                case MulticastDatagram.NakFragments nak -> answerNak(nak);
                default -> counters.drop(MulticastCounters.Drop.UNKNOWN_KIND);
            }
        }
    }

    private void answerNak(MulticastDatagram nak) {
        sendLock.lock();
        try {
            long now = System.nanoTime();
            List<byte[]> answer = nak instanceof MulticastDatagram.Nak n ? publisher.onNak(n, now)
                    : publisher.onNakFragments((MulticastDatagram.NakFragments) nak, now);
            for (byte[] datagram : answer) {
                sendQuietly(datagram, groupSocket);
            }
        } finally {
            sendLock.unlock();
        }
    }

    private void tick() {
        while (!closed) {
            LockSupport.parkNanos(tickNanos);
            long now = System.nanoTime();
            lock.lock();
            try {
                receiver.tick(now);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "multicast receiver tick failed", e);
            } finally {
                lock.unlock();
            }
            sendLock.lock();
            try {
                byte[] hb = publisher.heartbeatIfDue(now);
                if (hb != null) {
                    sendQuietly(hb, groupSocket);
                }
            } finally {
                sendLock.unlock();
            }
        }
    }

    private void sendQuietly(byte[] datagram, InetSocketAddress to) {
        try {
            sendChannel.send(ByteBuffer.wrap(datagram), to);
            counters.datagramsOut.increment();
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.FINE, "sending to " + to + " failed", e);
            }
        }
    }

    // --- toward the engine ---

    private void toClientLocked(Frame frame) {
        toClient.addLast(FrameEncoder.encode(frame));
        readable.signalAll();
    }

    private void reply(Frame frame) {
        lock.lock();
        try {
            toClientLocked(frame);
        } finally {
            lock.unlock();
        }
    }

    /** Ends the engine's byte stream after what is queued (an ERROR, at most). */
    private void fail() {
        lock.lock();
        try {
            endOfStream = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        lock.lock();
        try {
            while (toClient.isEmpty()) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (endOfStream) {
                    return -1;
                }
                readable.awaitUninterruptibly();
            }
            int n = 0;
            while (dst.hasRemaining() && !toClient.isEmpty()) {
                byte[] head = toClient.peekFirst();
                int k = Math.min(dst.remaining(), head.length - headOffset);
                dst.put(head, headOffset, k);
                headOffset += k;
                n += k;
                if (headOffset == head.length) {
                    toClient.pollFirst();
                    headOffset = 0;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        try {
            decoder.decode(src, this::fromClient);
        } catch (ProtocolException e) {
            reply(new Frame.Error(e.code(), e.getMessage()));
            fail();
        }
    }

    private void fromClient(Frame frame) {
        switch (frame) {
            case Frame.Hello h -> hello(h);
            case Frame.Ping p -> reply(new Frame.Pong(p.payload()));
            case Frame.Pong p -> { }
            case Frame.Publish p -> publish(p, decoder.currentPayloadLength());
            case Frame.Subscribe s -> withBroker(() -> broker.subscribe(s));
            case Frame.Unsubscribe u -> withBroker(() -> broker.unsubscribe(u.subscriptionId()));
            case Frame.Credit c when c.kind() == Frame.Credit.Kind.SUBSCRIPTION ->
                    withBroker(() -> broker.credit(c.streamId(), c.increment()));
            case Frame.Credit c -> { } // no MESSAGE frames go to the client, so its window credit is moot
            case Frame.Call c -> reply(new Frame.Status(c.streamId(), StatusCode.UNIMPLEMENTED, callsUnsupported(),
                    io.framewire.protocol.Metadata.EMPTY));
            // A refused call's request bytes: give their connection credit back at once (PROTOCOL.md section 4).
            case Frame.Message m -> reply(new Frame.Credit(0, false, Math.max(1, m.payloadLength())));
            case Frame.HalfClose h -> { }
            case Frame.Cancel c -> { }
            case Frame.GoAway g -> fail();
            case Frame.Error e -> fail();
            default -> throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, frame.type() + " may only be sent by a server");
        }
    }

    private String callsUnsupported() {
        return "calls are not supported on a multicast group (" + group + "): a group has no server to answer them;"
                + " publish and subscribe there, or call a udp://host:port server";
    }

    private void hello(Frame.Hello h) {
        int version = Handshake.chooseVersion(h);
        lock.lock();
        try {
            broker.clientMaxFrame(h.settings().maxFrameSize());
        } finally {
            lock.unlock();
        }
        Settings mine = Settings.builder()
                .set(Setting.MAX_FRAME_SIZE, maxFrame(options))
                .set(Setting.MAX_CONCURRENT_STREAMS, 100)
                .set(Setting.HEARTBEAT_INTERVAL, 0)
                .set(Setting.FEATURES, Setting.FEATURE_PUBSUB)
                .set(Setting.PUBLISH_WINDOW, publishWindow)
                .build();
        reply(Handshake.serverHello(version, mine));
    }

    /** The MAX_FRAME_SIZE announced: a PUBLISH frame this long, its length prefix added, fills a message. */
    private static int maxFrame(MulticastOptions options) {
        return Math.max(Setting.MAX_FRAME_SIZE.min(), Math.min(Setting.MAX_FRAME_SIZE.max(), options.maxMessageBytes()
                - FrameLayout.LENGTH_LENGTH));
    }

    private void publish(Frame.Publish p, int payloadLength) {
        StatusCode code = StatusCode.OK;
        String why = "";
        byte[] message = null;
        try {
            Topics.checkTopic(p.topic());
            if (!p.replyTo().isEmpty()) {
                Topics.checkTopic(p.replyTo());
            }
            message = FrameEncoder.encode(new Frame.Publish(0, p.topic(), p.replyTo(), p.metadata(), p.data()));
            if (message.length > options.maxMessageBytes()) {
                code = StatusCode.RESOURCE_EXHAUSTED;
                why = "a publish of " + message.length + " bytes exceeds the group's maximum message size of "
                        + options.maxMessageBytes() + " bytes";
                message = null;
            }
        } catch (IllegalArgumentException e) {
            code = StatusCode.INVALID_ARGUMENT;
            why = e.getMessage();
        }
        if (message != null) {
            sendLock.lock();
            try {
                for (byte[] d : publisher.publish(message, System.nanoTime())) {
                    sendChannel.send(ByteBuffer.wrap(d), groupSocket);
                    counters.datagramsOut.increment();
                }
            } catch (IOException e) {
                code = StatusCode.UNAVAILABLE;
                why = "sending to " + group + " failed: " + e.getMessage();
            } finally {
                sendLock.unlock();
            }
        } else if (p.ackId() == 0) {
            LOG.fine(() -> "dropped a publish to " + group + ": " + p.topic());
        }
        lock.lock();
        try {
            if (p.ackId() != 0) {
                toClientLocked(new Frame.Ack(p.ackId(), code, why));
            }
            publishUnreturned += payloadLength;
            if (publishUnreturned >= publishWindow / 2) {
                toClientLocked(Frame.Credit.publish((int) Math.min(Integer.MAX_VALUE, publishUnreturned)));
                publishUnreturned = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    private void withBroker(Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(groupChannel);
        closeQuietly(sendChannel);
        lock.lock();
        try {
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(DatagramChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing; nothing to do
            }
        }
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String localAddress() {
        return local;
    }

    /** Whether its threads have all ended (after {@link #close}); for tests. */
    boolean threadsEnded() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** What this connection counted; for tests. */
    MulticastCounters counters() {
        return counters;
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
