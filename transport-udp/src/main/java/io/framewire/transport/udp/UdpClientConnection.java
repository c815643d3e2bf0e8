package io.framewire.transport.udp;

import static io.framewire.transport.udp.DatagramLayout.*;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;

/**
 * A client's UDP session: one connected {@link DatagramChannel} to the server. Holds each request
 * until its response arrives, retransmitting it with exponential backoff until the call's deadline
 * (or polling for the response once the server acknowledged the request); reassembles responses.
 * Threads: a receiver and a ticker (retransmissions, keepalive, idle check), both virtual.
 */
final class UdpClientConnection extends DatagramSession {
    /** Open client connections, so tests can read their counters. */
    static final java.util.Set<UdpClientConnection> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final DatagramChannel channel;
    private final UdpOptions options;
    final UdpCounters counters = new UdpCounters();
    private final long session;
    private final String remote;
    private final String local;
    private final Reassembler responses;
    private final Condition tick = lock.newCondition();
    private final UdpPubSubClient pubsub;

    private byte[] cookie;
    private byte[] initial;
    private boolean accepted;
    private long nextInitialNanos;
    private long initialRtoNanos;
    private final TreeMap<Integer, ByteArrayOutputStream> building = new TreeMap<>();
    private final TreeMap<Integer, Call> calls = new TreeMap<>();
    private int highestStream = -1;
    /** The highest floor the server has been sent. */
    private int floorSent;
    /** Calls answered since the last tick, to be confirmed to the server unless the floor passed them. */
    private final java.util.List<Integer> toAcknowledge = new java.util.ArrayList<>();
    private int controlSequence;
    private long lastSentNanos;
    private long lastHeardNanos;
    private boolean channelClosed;
    private final Thread receiver;
    private final boolean platform;
    private final Thread ticker;

    /** One request sent and not yet answered. */
    private static final class Call {
        final int id;
        final byte[][] datagrams;
        final long deadlineNanos;
        final boolean hasDeadline;
        final int size;
        boolean acknowledged;
        long rtoNanos;
        long nextNanos;

        Call(int id, byte[][] datagrams, long deadlineNanos, boolean hasDeadline, int size) {
            this.id = id;
            this.datagrams = datagrams;
            this.deadlineNanos = deadlineNanos;
            this.hasDeadline = hasDeadline;
            this.size = size;
        }
    }

    private UdpClientConnection(DatagramChannel channel, UdpOptions options, long session, byte[] cookie) throws IOException {
        super(options.heldBytes(), null);
        this.channel = channel;
        this.options = options;
        this.session = session;
        this.cookie = cookie;
        this.remote = describe((InetSocketAddress) channel.getRemoteAddress());
        this.local = describe((InetSocketAddress) channel.getLocalAddress());
        this.pubsub = new UdpPubSubClient(this, session, options, counters);
        this.responses = new Reassembler(new AtomicLong(), options.reassemblyBytesPerPeer(), options.reassemblyBytesPerPeer(),
                options.maxMessageBytes(), options.reassemblyTimeout().toNanos(), counters);
        long now = System.nanoTime();
        this.lastSentNanos = now;
        this.lastHeardNanos = now;
        this.platform = options.readerThreads() != UdpOptions.ReaderThreads.VIRTUAL;
        this.receiver = threads(platform, "framewire-udp-client-receiver").unstarted(this::receiveLoop);
        this.ticker = Thread.ofVirtual().name("framewire-udp-client-ticker").unstarted(this::tickLoop);
    }

    /**
     * Opens a channel to {@code server} and obtains the server's address-validation cookie (an INITIAL
     * without HELLO, answered by RETRY), within {@code timeout}: this is where "nothing listening"
     * shows, as on a stream transport's connect.
     */
    static UdpClientConnection open(InetSocketAddress server, UdpOptions options, Duration timeout) throws IOException {
        return open(server, options, timeout, java.util.function.UnaryOperator.identity());
    }

    /**
     * As {@link #open(InetSocketAddress, UdpOptions, Duration)}; once the cookie is obtained, the
     * session runs over the channel {@code wrap} makes of the connected one (tests inject faults).
     */
    static UdpClientConnection open(InetSocketAddress server, UdpOptions options, Duration timeout,
                                    java.util.function.UnaryOperator<DatagramChannel> wrap) throws IOException {
        DatagramChannel ch = DatagramChannel.open(server.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            if (options.socketBufferSize() > 0) {
                ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, options.socketBufferSize());
                ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, options.socketBufferSize());
            }
            ch.connect(server);
            long session = ThreadLocalRandom.current().nextLong() | 1L;
            byte[] cookie = obtainCookie(ch, session, options, timeout, describe(server));
            UdpClientConnection c = new UdpClientConnection(wrap.apply(ch), options, session, cookie);
            OPEN.add(c);
            c.receiver.start();
            c.ticker.start();
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static byte[] obtainCookie(DatagramChannel ch, long session, UdpOptions o, Duration timeout, String server)
            throws IOException {
        byte[] probe = cookieDatagram(INITIAL, session, new byte[0], new byte[0], paddedInitial(o));
        long deadline = System.nanoTime() + Math.max(1, timeout.toNanos());
        long wait = o.initialRetransmit().toNanos();
        ByteBuffer in = ByteBuffer.allocate(o.maxDatagramSize() + 1);
        ch.configureBlocking(false);
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
            while (true) {
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw new SocketTimeoutException("connect timed out after " + timeout.toMillis() + " ms (" + server
                            + " did not answer)");
                }
                ch.write(ByteBuffer.wrap(probe));
                long until = Math.min(deadline, now + wait);
                wait = Math.min(wait * 2, o.maxRetransmit().toNanos());
                while (System.nanoTime() < until) {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                    selector.selectedKeys().clear();
                    in.clear();
                    try {
                        if (ch.read(in) <= 0) {
                            continue;
                        }
                    } catch (PortUnreachableException e) {
                        throw new ConnectException("connection refused: nothing listening on " + server);
                    }
                    in.flip();
                    if (in.remaining() >= COOKIE_OFFSET && (in.get(FORMAT_OFFSET) & 0xFF) == FORMAT
                            && in.get(KIND_OFFSET) == RETRY && in.getLong(SESSION_OFFSET) == session) {
                        int n = in.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF;
                        if (COOKIE_OFFSET + n <= in.remaining()) {
                            byte[] cookie = new byte[n];
                            in.get(COOKIE_OFFSET, cookie);
                            return cookie;
                        }
                    }
                }
            }
        } finally {
            ch.configureBlocking(true);
        }
    }

    private static int paddedInitial(UdpOptions o) {
        return Math.min(INITIAL_PADDED_LENGTH, o.maxDatagramSize());
    }

    // --- frames from the engine (under lock) ---

    @Override
    void onCoreFrame(int type, int flags, int stream, byte[] f) throws IOException {
        if (type == FrameType.HELLO.code()) {
            initial = cookieDatagram(INITIAL, session, cookie, f, paddedInitial(options));
            initialRtoNanos = options.initialRetransmit().toNanos();
            nextInitialNanos = System.nanoTime() + initialRtoNanos;
            send(initial);
            return;
        }
        if (stream == 0 && (type == FrameType.PING.code() || type == FrameType.PONG.code()
                || type == FrameType.GOAWAY.code() || type == FrameType.ERROR.code())) {
            if (type != FrameType.PING.code() || !pubsub.holdPing(f)) {
                sendControl(f);
            }
            return;
        }
        if (pubsub.onCoreFrame(type, flags, stream, f)) {
            return;
        }
        if (type == FrameType.CALL.code()) {
            highestStream = Math.max(highestStream, stream);
            ByteArrayOutputStream b = new ByteArrayOutputStream(f.length + 64);
            b.writeBytes(f);
            building.put(stream, b);
        } else if (type == FrameType.MESSAGE.code()) {
            ByteArrayOutputStream b = building.get(stream);
            if (b != null) {
                b.writeBytes(f);
            }
            coreMessageWritten(stream, f.length - FrameLayout.HEADER_LENGTH);
        } else if (type == FrameType.HALF_CLOSE.code()) {
            streamSent(stream);
            ByteArrayOutputStream b = building.remove(stream);
            if (b != null) {
                b.writeBytes(f);
                sendRequest(stream, b.toByteArray());
            }
        } else if (type == FrameType.CANCEL.code()) {
            cancel(stream, f);
        }
        // Anything else: nothing to send over udp.
    }

    /** A connection frame (PING, PONG, GOAWAY, ERROR) on channel CONTROL, sent once. */
    void sendControl(byte[] f) throws IOException {
        for (byte[] d : fragments(session, CHANNEL_CONTROL, controlSequence++, floor(), f, options.maxDatagramSize())) {
            send(d);
        }
    }

    private void sendRequest(int stream, byte[] message) throws IOException {
        long now = System.nanoTime();
        boolean hasDeadline = (message[FrameLayout.FLAGS_OFFSET] & FrameLayout.FLAG_DEADLINE) != 0
                && message.length >= FrameLayout.HEADER_LENGTH + 9;
        long deadline = hasDeadline ? now + ByteBuffer.wrap(message, FrameLayout.HEADER_LENGTH + 1, 8).getLong() : Long.MAX_VALUE;
        Call c = new Call(stream, fragments(session, CHANNEL_CALL, stream, Math.min(stream, floor()), message,
                options.maxDatagramSize()),
                deadline, hasDeadline, message.length);
        c.rtoNanos = options.initialRetransmit().toNanos();
        c.nextNanos = now + c.rtoNanos;
        calls.put(stream, c);
        for (byte[] d : c.datagrams) {
            sendData(d);
        }
    }

    private void cancel(int stream, byte[] cancelFrame) throws IOException {
        streamSent(stream);
        ByteArrayOutputStream b = building.remove(stream);
        if (b != null) {
            released(b.size());
        }
        Call c = calls.remove(stream);
        if (c != null) {
            released(c.size);
            responses.drop(Reassembler.key(CHANNEL_CALL, stream));
            send(DatagramLayout.cancel(session, stream, cancelFrame));
        }
        forgetStream(stream);
    }

    /** Every call below this id is finished here: the server may forget them. */
    private int floor() {
        int f = highestStream + 2;
        if (!calls.isEmpty()) {
            f = Math.min(f, calls.firstKey());
        }
        if (!building.isEmpty()) {
            f = Math.min(f, building.firstKey());
        }
        return Math.max(f, 0);
    }

    // --- datagrams from the server ---

    /**
     * The receiver: a RuntimeException or an OutOfMemoryError while it receives or handles a datagram
     * costs that datagram ({@code FAULT}); any other Error fails this connection (and only it).
     */
    private void receiveLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(options.maxDatagramSize() + 1);
        try {
            while (true) {
                try {
                    if (!receiveOne(in)) {
                        return;
                    }
                } catch (OutOfMemoryError | RuntimeException e) {
                    counters.drop(Drop.FAULT); // a bug, or memory short for a moment: this datagram is lost, not the connection
                }
            }
        } catch (Throwable t) {
            fail(new IOException("the udp client's receiver for " + remote + " met " + t, t));
        }
    }

    /** Receives and handles one datagram; false once the connection is done (closed, or failed here). */
    private boolean receiveOne(ByteBuffer in) {
        in.clear();
        try {
            channel.receive(in);
        } catch (PortUnreachableException e) {
            fail(new ConnectException("connection refused: nothing listening on " + remote));
            return false;
        } catch (ClosedChannelException e) {
            return false;
        } catch (IOException e) {
            fail(new IOException("udp receive from " + remote + " failed: " + e.getMessage(), e));
            return false;
        }
        in.flip();
        counters.datagramsIn.increment();
        counters.bytesIn.add(in.remaining());
        lock.lock();
        try {
            onDatagram(in);
            return true;
        } catch (IOException e) {
            fail(e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void onDatagram(ByteBuffer d) throws IOException {
        if (!counters.admits(d, options.maxDatagramSize())) {
            return;
        }
        int n = d.remaining();
        if (d.getLong(SESSION_OFFSET) != session) {
            counters.drop(Drop.SPOOFED);
            return;
        }
        lastHeardNanos = System.nanoTime();
        int kind = d.get(KIND_OFFSET);
        switch (kind) {
            case RETRY -> {
                if (n < COOKIE_OFFSET || COOKIE_OFFSET + (d.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF) > n) {
                    counters.drop(Drop.TRUNCATED);
                    return;
                }
                cookie = new byte[d.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF];
                d.get(COOKIE_OFFSET, cookie);
                if (initial != null && !accepted) {
                    // Rebuild the INITIAL around the same HELLO with the new cookie.
                    ByteBuffer old = ByteBuffer.wrap(initial);
                    int oldCookie = old.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF;
                    int helloLength = FrameLayout.LENGTH_LENGTH + old.getInt(COOKIE_OFFSET + oldCookie);
                    byte[] hello = java.util.Arrays.copyOfRange(initial, COOKIE_OFFSET + oldCookie, COOKIE_OFFSET + oldCookie + helloLength);
                    initial = cookieDatagram(INITIAL, session, cookie, hello, paddedInitial(options));
                    send(initial);
                }
            }
            case ACCEPT -> {
                if (accepted) {
                    return; // a retransmitted INITIAL's answer
                }
                if (n < HEADER_LENGTH + FrameLayout.HEADER_LENGTH
                        || d.getInt(HEADER_LENGTH) != n - HEADER_LENGTH - FrameLayout.LENGTH_LENGTH) {
                    counters.drop(Drop.TRUNCATED);
                    return;
                }
                accepted = true;
                byte[] frame = new byte[n - HEADER_LENGTH];
                d.get(HEADER_LENGTH, frame);
                toCore(frame);
            }
            case DATA -> onData(d, n);
            case BATCH -> {
                for (ByteBuffer record : unpack(d, n, session, counters)) {
                    onData(record, record.remaining());
                }
            }
            case ACK -> {
                if (n < ACK_LENGTH) {
                    counters.drop(Drop.TRUNCATED);
                    return;
                }
                if (d.get(CHANNEL_OFFSET) == CHANNEL_PUBSUB) {
                    pubsub.onAck(d.getInt(ID_OFFSET));
                    return;
                }
                Call c = calls.get(d.getInt(ID_OFFSET));
                if (c != null && !c.acknowledged) {
                    c.acknowledged = true;
                    c.rtoNanos = options.initialRetransmit().toNanos();
                    c.nextNanos = System.nanoTime() + c.rtoNanos;
                }
            }
            case GONE -> {
                if (n < ACK_LENGTH) {
                    counters.drop(Drop.TRUNCATED);
                    return;
                }
                int id = d.getInt(ID_OFFSET);
                Call c = calls.remove(id);
                if (c != null) {
                    counters.gone.increment();
                    released(c.size);
                    responses.drop(Reassembler.key(CHANNEL_CALL, id));
                    toCoreStream(id, List.of(io.framewire.protocol.FrameEncoder.encode(new Frame.Status(id,
                            StatusCode.DATA_LOSS, "the response was lost and the server no longer holds it; the call may have run",
                            Metadata.EMPTY))));
                }
            }
            case TAIL -> pubsub.onTail(d, n);
            case KEEPALIVE -> { }
            case CLOSE -> {
                closeLocal(null);
                closeChannel();
            }
            default -> counters.drop(Drop.UNKNOWN_KIND);
        }
    }

    private void onData(ByteBuffer d, int n) throws IOException {
        if (n < DATA_HEADER_LENGTH) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        int channelId = d.get(CHANNEL_OFFSET);
        int id = d.getInt(DATA_ID_OFFSET);
        int total = d.getInt(DATA_TOTAL_OFFSET);
        int offset = d.getInt(DATA_OFFSET_OFFSET);
        ByteBuffer bytes = d.slice(DATA_HEADER_LENGTH, n - DATA_HEADER_LENGTH);
        if (channelId == CHANNEL_CALL) {
            if (!calls.containsKey(id)) {
                counters.drop(Drop.STALE);
                send(ack(ACK, session, CHANNEL_CALL, id)); // the server may still be holding it for us
                return;
            }
            byte[] message = responses.offer(Reassembler.key(CHANNEL_CALL, id), total, offset, bytes, System.nanoTime());
            if (message == null) {
                return;
            }
            List<byte[]> frames = splitFrames(message);
            if (!isResponse(frames, id)) {
                counters.drop(Drop.MALFORMED_MESSAGE);
                return;
            }
            Call c = calls.remove(id);
            released(c.size);
            // The server learns it may forget this call from the floor of a later datagram, or from
            // the ticker's ACK: one datagram per call each way when calls keep coming.
            toAcknowledge.add(id);
            toCoreStream(id, frames);
        } else if (channelId == CHANNEL_CONTROL) {
            byte[] message = responses.offer(Reassembler.key(CHANNEL_CONTROL, id), total, offset, bytes, System.nanoTime());
            if (message == null) {
                return;
            }
            List<byte[]> frames = splitFrames(message);
            if (frames == null || frames.size() != 1 || !isControl(frames.get(0))) {
                counters.drop(Drop.MALFORMED_MESSAGE);
                return;
            }
            toCore(frames.get(0));
        } else if (channelId == CHANNEL_PUBSUB) {
            byte[] message = responses.offer(Reassembler.key(CHANNEL_PUBSUB, id), total, offset, bytes, System.nanoTime());
            if (message != null) {
                pubsub.onMessage(message);
            }
        } else {
            counters.drop(Drop.UNKNOWN_KIND);
        }
    }

    /** HEADERS? MESSAGE* STATUS, all on {@code id}. */
    private static boolean isResponse(List<byte[]> frames, int id) {
        if (frames == null || frames.isEmpty()) {
            return false;
        }
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            int type = typeOf(f);
            boolean last = i == frames.size() - 1;
            if (streamOf(f) != id || (last != (type == FrameType.STATUS.code()))
                    || (!last && type != FrameType.HEADERS.code() && type != FrameType.MESSAGE.code())) {
                return false;
            }
        }
        return true;
    }

    static boolean isControl(byte[] f) {
        int type = typeOf(f);
        return streamOf(f) == 0 && (type == FrameType.PING.code() || type == FrameType.PONG.code()
                || type == FrameType.GOAWAY.code() || type == FrameType.ERROR.code());
    }

    // --- timers ---

    private void tickLoop() {
        long tickNanos = Math.max(1_000_000, Math.min(20_000_000, options.initialRetransmit().toNanos() / 5));
        lock.lock();
        try {
            while (!channelClosed) {
                tick.awaitNanos(tickNanos);
                if (channelClosed) {
                    return;
                }
                onTick(System.nanoTime());
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException e) {
            fail(e);
        } catch (Throwable t) {
            // The timers of this one connection failed: without them nothing would end it, so it ends now.
            fail(new IOException("the udp client's timers for " + remote + " failed: " + t, t));
        } finally {
            lock.unlock();
        }
    }

    private void onTick(long now) throws IOException {
        if (initial != null && !accepted && now >= nextInitialNanos) {
            send(initial);
            initialRtoNanos = Math.min(initialRtoNanos * 2, options.maxRetransmit().toNanos());
            nextInitialNanos = now + initialRtoNanos;
        }
        int floor = floor();
        flushGrants();
        if (accepted && floor > floorSent) {
            send(poll(session, CHANNEL_CALL, 0, floor)); // a POLL of message 0 only moves the floor
        }
        for (int id : toAcknowledge) {
            if (id >= floorSent) {
                send(ack(ACK, session, CHANNEL_CALL, id));
            }
        }
        toAcknowledge.clear();
        for (Call c : calls.values()) {
            if (now < c.nextNanos || now >= c.deadlineNanos) {
                continue; // at its deadline the engine cancels the call
            }
            if (!c.acknowledged) {
                counters.retransmits.increment();
                for (int i = 0; i < c.datagrams.length; i++) {
                    byte[] d = c.datagrams[i];
                    ByteBuffer b = ByteBuffer.wrap(d);
                    b.putInt(DATA_FLOOR_OFFSET, floor);
                    if (i == 0 && c.hasDeadline) {
                        // The CALL's timeout is relative: send what is left of it now.
                        b.putLong(DATA_HEADER_LENGTH + FrameLayout.HEADER_LENGTH + 1, Math.max(1, c.deadlineNanos - now));
                    }
                    send(d);
                }
            } else {
                counters.polls.increment();
                send(poll(session, CHANNEL_CALL, c.id, floor));
            }
            c.rtoNanos = Math.min(c.rtoNanos * 2, options.maxRetransmit().toNanos());
            c.nextNanos = now + c.rtoNanos;
        }
        if (accepted) {
            pubsub.onTick(now);
        }
        responses.expire(now);
        if (now - lastSentNanos >= options.keepaliveInterval().toNanos()) {
            send(small(KEEPALIVE, session));
        }
        if (now - lastHeardNanos >= options.idleTimeout().toNanos()) {
            fail(new IOException("no datagram from " + remote + " for " + options.idleTimeout().toMillis()
                    + " ms: the server is gone or unreachable"));
        }
    }

    @Override
    void sendPacked(java.util.List<byte[]> datagrams) throws IOException {
        for (byte[] d : datagrams.size() == 1 ? datagrams : pack(session, datagrams, options.maxDatagramSize())) {
            send(d);
        }
    }

    void send(byte[] d) throws IOException {
        if (channelClosed) {
            return;
        }
        if (d[KIND_OFFSET] == DATA && d.length >= DATA_HEADER_LENGTH && d[CHANNEL_OFFSET] == CHANNEL_CALL) {
            floorSent = Math.max(floorSent, ByteBuffer.wrap(d).getInt(DATA_FLOOR_OFFSET));
        } else if (d[KIND_OFFSET] == BATCH) {
            for (ByteBuffer r : unpack(ByteBuffer.wrap(d), d.length, session, null)) {
                if (r.get(CHANNEL_OFFSET) == CHANNEL_CALL) {
                    floorSent = Math.max(floorSent, r.getInt(DATA_FLOOR_OFFSET));
                }
            }
        } else if (d[KIND_OFFSET] == POLL) {
            floorSent = Math.max(floorSent, ByteBuffer.wrap(d).getInt(POLL_FLOOR_OFFSET));
        }
        try {
            channel.write(ByteBuffer.wrap(d));
        } catch (PortUnreachableException e) {
            throw new ConnectException("connection refused: nothing listening on " + remote);
        } catch (ClosedChannelException e) {
            return;
        }
        lastSentNanos = System.nanoTime();
        counters.datagramsOut.increment();
        counters.bytesOut.add(d.length);
    }

    private void fail(IOException why) {
        lock.lock();
        try {
            closeLocal(why);
            closeChannel();
        } finally {
            lock.unlock();
        }
    }

    private void closeChannel() {
        if (!channelClosed) {
            channelClosed = true;
            OPEN.remove(this);
            tick.signalAll();
            try {
                channel.close();
            } catch (IOException ignored) {
                // gone either way
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!channelClosed && accepted) {
                try {
                    send(small(CLOSE, session));
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            closeLocal(null);
            closeChannel();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public java.util.concurrent.ThreadFactory readerThreads() {
        return threads(platform, "framewire-udp-client-reader").factory();
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String localAddress() {
        return local;
    }

    /** For tests: calls awaiting their response. */
    int callsInFlight() {
        lock.lock();
        try {
            return calls.size();
        } finally {
            lock.unlock();
        }
    }
}
