package io.framewire.internal;

import io.framewire.Status;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection's protocol engine, for either side: the handshake, the reader loop, connection-level
 * frames (PING, PONG, GOAWAY, ERROR, CREDIT), connection flow control, heartbeats and closing. Stream
 * frames go to the subclass ({@link ClientSession}, {@link ServerSession}).
 *
 * <p>Threads: one reader thread (from the transport) runs {@link #readLoop} and every {@code on*}
 * method; the timer thread runs timeouts; application threads send. The reader never blocks on a
 * socket write (see {@link Outbound}).
 */
abstract class Session {
    static final System.Logger LOG = System.getLogger("io.framewire");
    static final int READ_BUFFER_BYTES = 64 * 1024;
    /** PINGs a peer may send per second before it is judged abusive. */
    static final int MAX_PINGS_PER_SECOND = 1000;
    /** How long a final ERROR or GOAWAY may take to write before the connection is closed anyway. */
    static final long CLOSE_GRACE_MILLIS = 1000;

    enum State { HANDSHAKING, OPEN, DRAINING, CLOSED }

    final Connection connection;
    final String transport;
    final SessionConfig config;
    final Outbound out;
    /** What this connection's reader deferred to the end of each read (wake-ups, broker offers); its thread's alone. */
    final Wakeups wakeups = new Wakeups();
    final Map<Integer, StreamBase> streams = new ConcurrentHashMap<>();
    private final FrameDecoder decoder;
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final MessageBudget messageBudget;
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final Map<Long, PendingPing> pings = new ConcurrentHashMap<>();
    private final AtomicLong pingIds = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    volatile State state = State.HANDSHAKING;
    private volatile Settings peerSettings = Settings.defaults();
    private volatile long lastReadNanos = System.nanoTime();
    private ScheduledFuture<?> heartbeat;
    private ScheduledFuture<?> handshakeTimer;

    // Connection-level receive credit.
    private final AtomicLong connectionRecvCredit;
    private final AtomicLong connectionUnacked = new AtomicLong();

    // Reader thread only: ping flood accounting.
    private long pingWindowStart;
    private int pingsInWindow;

    private record PendingPing(long sentNanos, CompletableFuture<Duration> result) {}

    Session(Connection connection, String transport, SessionConfig config) {
        this.connection = connection;
        this.transport = transport;
        this.config = config;
        this.decoder = FrameDecoder.forConnection(config.local().maxFrameSize());
        this.out = new Outbound(connection, config.maxQueuedBytes(), this::onWriteFailure, this::runCallback);
        this.connectionRecvCredit = new AtomicLong(config.local().connectionWindow());
        // Room for two maximum-size messages in flight beyond the windows, or one connection window.
        this.messageBudget = new MessageBudget(Math.max(2L * config.local().maxMessageSize(), config.local().connectionWindow()));
        OpenResources.opened(this);
    }

    final Settings localSettings() {
        return config.local();
    }

    final Settings peerSettings() {
        return peerSettings;
    }

    final MessageBudget messageBudget() {
        return messageBudget;
    }

    final int maxInboundMessageSize() {
        return config.local().maxMessageSize();
    }

    /** Starts the reader thread, and the handshake timer if {@code handshakeTimeout} is positive. */
    final void start(ThreadFactory readerThreads, Duration handshakeTimeout) {
        if (!handshakeTimeout.isZero()) {
            handshakeTimer = Timers.schedule(() -> {
                if (state == State.HANDSHAKING) {
                    failConnection(ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO within " + handshakeTimeout.toMillis() + " ms");
                }
            }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        readerThreads.newThread(this::readLoop).start();
    }

    final CompletableFuture<Void> handshakeFuture() {
        return handshake;
    }

    /** Completes with the status the connection closed with. */
    final CompletableFuture<Status> closeFuture() {
        return closed;
    }

    final boolean isOpen() {
        return state == State.OPEN;
    }

    /** Set on every connection's reader thread, which must never block on any socket write. */
    private static final ThreadLocal<Boolean> READER_THREAD = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /**
     * Whether the calling thread may block on a socket write: not the timer, and not a reader of any
     * connection. A reader delivering to another connection (a broker fanning out a publish) must not
     * write to it either: two readers blocked writing to each other's full sockets would deadlock.
     */
    final boolean mayWrite() {
        return !READER_THREAD.get() && !Timers.isTimerThread(Thread.currentThread());
    }

    // --- reading ---

    private void readLoop() {
        READER_THREAD.set(Boolean.TRUE);
        ByteBuffer buf = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
        try {
            while (true) {
                buf.clear();
                int n = connection.read(buf);
                if (n < 0) {
                    if (state == State.CLOSED) {
                        out.closeNow(); // the peer has closed after our final frame
                        return;
                    }
                    decoder.endOfInput();
                    onEndOfStream();
                    return;
                }
                lastReadNanos = System.nanoTime();
                if (state == State.CLOSED) {
                    continue; // lingering after our final frame: what the peer still sends is dropped
                }
                buf.flip();
                try {
                    decoder.decode(buf, this::dispatch);
                } finally {
                    wakeups.flush();
                }
            }
        } catch (ProtocolException e) {
            failConnection(e.code(), e.getMessage());
            linger(buf);
        } catch (IOException e) {
            if (state != State.CLOSED) {
                close(Status.of(StatusCode.UNAVAILABLE, "connection to " + connection.remoteAddress() + " lost: "
                        + describe(e)), null);
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "reader of " + this + " failed", e);
            failConnection(ErrorCode.INTERNAL_ERROR, "internal error");
        }
    }

    /**
     * After a protocol violation: reads and drops whatever the peer still sends until it closes, or
     * the grace timer closes the connection, so our ERROR is not lost to a reset.
     */
    private void linger(ByteBuffer buf) {
        try {
            while (true) {
                buf.clear();
                if (connection.read(buf) < 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // closed by the grace timer
        }
        out.closeNow();
    }

    private void dispatch(Frame frame) {
        switch (frame) {
            case Frame.Hello h -> {
                if (handshakeTimer != null) {
                    handshakeTimer.cancel(false);
                }
                onHello(h);
            }
            case Frame.Ping p -> onPing(p);
            case Frame.Pong p -> {
                PendingPing pending = pings.remove(p.payload());
                if (pending != null) {
                    pending.result.complete(Duration.ofNanos(System.nanoTime() - pending.sentNanos));
                }
            }
            case Frame.GoAway g -> onGoAway(g);
            case Frame.Error e -> onPeerError(e);
            case Frame.Credit c -> onCredit(c);
            default -> onStreamFrame(frame);
        }
    }

    /** The peer's HELLO: validate the version, record settings, answer (server), go OPEN. */
    abstract void onHello(Frame.Hello hello);

    abstract void onStreamFrame(Frame frame);

    abstract void onGoAway(Frame.GoAway goAway);

    /** The peer closed its side at a frame boundary. */
    void onEndOfStream() {
        close(Status.of(StatusCode.UNAVAILABLE, "connection closed by " + connection.remoteAddress()), null);
    }

    private void onPing(Frame.Ping p) {
        long now = System.nanoTime();
        if (now - pingWindowStart > 1_000_000_000L) {
            pingWindowStart = now;
            pingsInWindow = 0;
        }
        if (++pingsInWindow > MAX_PINGS_PER_SECOND) {
            throw new ProtocolException(ErrorCode.ENHANCE_YOUR_CALM, "more than " + MAX_PINGS_PER_SECOND + " PINGs in a second");
        }
        if (!out.sendControl(new Frame.Pong(p.payload()), false) && !out.isClosed()) {
            throw new ProtocolException(ErrorCode.ENHANCE_YOUR_CALM, "the peer sends control frames but does not read the answers");
        }
    }

    private void onPeerError(Frame.Error e) {
        String why = "closed by " + connection.remoteAddress() + " with " + e.code() + ": " + e.message();
        LOG.log(Level.DEBUG, why);
        if (state == State.HANDSHAKING) {
            handshake.completeExceptionally(Status.of(StatusCode.UNAVAILABLE, "the server refused the connection: "
                    + e.code() + ": " + e.message()).asException());
        }
        close(Status.of(StatusCode.UNAVAILABLE, why), null);
    }

    private void onCredit(Frame.Credit c) {
        if (c.subscription()) {
            onSubscriptionCredit(c);
            return;
        }
        if (c.streamId() == 0) {
            if (!out.addConnectionCredit(c.increment())) {
                throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflows 2^31-1");
            }
            return;
        }
        StreamBase s = streams.get(c.streamId());
        SendQueue q = s != null ? s.out : out.finishing(c.streamId());
        if (q == null) {
            checkKnownStream(c.streamId(), c.type().name());
            return;
        }
        if (!out.addStreamCredit(q, c.increment())) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "window of stream " + c.streamId() + " overflows 2^31-1");
        }
    }

    /** CREDIT for a subscription; only the broker side accepts it. */
    void onSubscriptionCredit(Frame.Credit c) {
        throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "subscription CREDIT sent to a client");
    }

    /** A frame for a stream id that is not open: fine if the stream existed (and ended), else an error. */
    abstract void checkKnownStream(int streamId, String frameType);

    /**
     * Routes a MESSAGE fragment: charged to connection credit, reassembled by its stream, and handed
     * to the stream once complete. A fragment for a stream that has ended is dropped, its credit
     * given back at once.
     */
    final void onMessageFrame(Frame.Message m) {
        if (connectionRecvCredit.addAndGet(-m.payloadLength()) < 0) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "received " + m.payloadLength()
                    + " bytes beyond the connection's credit");
        }
        StreamBase s = streams.get(m.streamId());
        if (s == null) {
            checkKnownStream(m.streamId(), "MESSAGE");
            connectionConsumed(m.payloadLength());
            return;
        }
        InboundMessage message = s.acceptFragment(m);
        if (message != null) {
            s.onInboundMessage(message);
        }
    }

    final void connectionConsumed(int payloadBytes) {
        long threshold = Math.max(1, config.local().connectionWindow() / 2);
        long u = connectionUnacked.addAndGet(payloadBytes);
        if (u >= threshold && connectionUnacked.compareAndSet(u, 0)) {
            connectionRecvCredit.addAndGet(u);
            sendCredit(0, u);
        }
    }

    final void sendCredit(int streamId, long increment) {
        out.sendControl(new Frame.Credit(streamId, false, (int) Math.min(increment, Integer.MAX_VALUE)), mayWrite());
    }

    // --- handshake helpers for subclasses ---

    /** Records the peer's settings and goes OPEN; starts heartbeats. */
    final void opened(Settings peer) {
        peerSettings = peer;
        out.peerSettings(peer.connectionWindow(), peer.maxFrameSize());
        decoder.maxFrameLength(config.local().maxFrameSize());
        startHeartbeat(config.local().heartbeatIntervalMillis(), peer.heartbeatIntervalMillis());
        if (state == State.HANDSHAKING) {
            state = State.OPEN;
        }
        handshake.complete(null);
    }

    private void startHeartbeat(int ownMillis, int peerMillis) {
        int period = ownMillis > 0 && peerMillis > 0 ? Math.min(ownMillis, peerMillis) : Math.max(ownMillis, peerMillis);
        if (period <= 0) {
            return;
        }
        long tick = Math.max(10, period / 2);
        heartbeat = Timers.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            if (peerMillis > 0 && now - lastReadNanos > TimeUnit.MILLISECONDS.toNanos(3L * peerMillis)) {
                failConnection(ErrorCode.KEEPALIVE_TIMEOUT, "nothing received for " + 3 * peerMillis + " ms");
                return;
            }
            if (ownMillis > 0 && now - out.lastWriteNanos >= TimeUnit.MILLISECONDS.toNanos(ownMillis)) {
                out.sendControl(new Frame.Ping(-pingIds.incrementAndGet()), false);
            }
        }, tick, TimeUnit.MILLISECONDS);
    }

    // --- ping ---

    /** Sends a PING and completes with the round-trip time when its PONG arrives. */
    final CompletableFuture<Duration> ping() {
        long id = pingIds.incrementAndGet();
        CompletableFuture<Duration> f = new CompletableFuture<>();
        pings.put(id, new PendingPing(System.nanoTime(), f));
        if (!out.sendControl(new Frame.Ping(id), mayWrite())) {
            pings.remove(id);
            f.completeExceptionally(Status.of(StatusCode.UNAVAILABLE, "connection closed").asException());
        }
        return f;
    }

    // --- closing ---

    /**
     * A connection error: tell the peer with ERROR, close, and end every stream. Logged with the peer's
     * address, since it usually means a broken or hostile peer.
     */
    final void failConnection(ErrorCode code, String message) {
        failConnection(code, message, null);
    }

    /** As {@link #failConnection(ErrorCode, String)}, writing {@code before} ahead of the ERROR. */
    final void failConnection(ErrorCode code, String message, Frame before) {
        if (state == State.CLOSED) {
            return;
        }
        LOG.log(Level.WARNING, "closing connection " + connection.remoteAddress() + " (" + transport + "): "
                + code + ": " + message);
        Status status = Status.of(StatusCode.UNAVAILABLE, "connection error " + code + ": " + message);
        if (state == State.HANDSHAKING) {
            handshake.completeExceptionally(status.asException());
        }
        Frame error = new Frame.Error(code, message);
        close(status, before == null ? new Frame[] {error} : new Frame[] {before, error}, true);
    }

    /**
     * Closes the session: ends every stream with {@code status}, writes {@code lastFrame} if given, and
     * closes the connection. Idempotent.
     */
    final void close(Status status, Frame lastFrame) {
        close(status, lastFrame == null ? new Frame[0] : new Frame[] {lastFrame}, true);
    }



    /** As {@link #close(Status, Frame)}; without {@code closeOutbound} the caller has arranged the connection's close. */
    final void close(Status status, Frame[] lastFrames, boolean closeOutbound) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        state = State.CLOSED;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        if (closeOutbound) {
            if (lastFrames.length > 0) {
                out.closeAfter(CLOSE_GRACE_MILLIS, lastFrames);
            } else {
                out.closeNow();
            }
        }
        handshake.completeExceptionally(status.asException());
        List<StreamBase> live = new ArrayList<>(streams.values());
        streams.clear();
        for (StreamBase s : live) {
            s.onSessionClosed(status);
        }
        for (PendingPing p : pings.values()) {
            p.result.completeExceptionally(status.asException());
        }
        pings.clear();
        onClosed(status);
        OpenResources.closed(this);
        closed.complete(status);
    }

    /** Subclass hook after the session closed (on the closing thread). */
    void onClosed(Status status) {}

    private void onWriteFailure(Throwable e) {
        close(Status.of(StatusCode.UNAVAILABLE, "connection to " + connection.remoteAddress() + " lost: "
                + describe(e)), null);
    }

    /** Runs a callback (user code) off the reader and writer threads. */
    final void runCallback(Runnable r) {
        config.callbackExecutor().execute(r);
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + transport + " " + connection.localAddress() + " <-> "
                + connection.remoteAddress() + "]";
    }
}
