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
import java.util.concurrent.atomic.AtomicBoolean;
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
    /** What a busy connection reads into at once: a buffer borrowed from {@link BufferPool#read}. */
    static final int READ_BUFFER_BYTES = 64 * 1024;
    /**
     * What an idle or lightly used connection reads into: its own, small. A read that fills it borrows
     * a large one for the burst; a read well short of it gives that back.
     */
    static final int SMALL_READ_BUFFER_BYTES = 8 * 1024;
    /** What a connection costs before it holds anything: its objects and its small read buffer. */
    static final long BASE_BYTES = 12 * 1024;
    /** How long a final ERROR or GOAWAY may take to write before the connection is closed anyway. */
    static final long CLOSE_GRACE_MILLIS = 1000;

    enum State { HANDSHAKING, OPEN, DRAINING, CLOSED }

    final Connection connection;
    final String transport;
    final SessionConfig config;
    final Outbound out;
    /** This connection's share of its server's memory budget; unmetered for a client. */
    final MemoryBudget.Account account;
    /** What this connection's reader deferred to the end of each read (wake-ups, broker offers); its thread's alone. */
    final Wakeups wakeups = new Wakeups();
    final Map<Integer, StreamBase> streams = new ConcurrentHashMap<>();
    private final FrameDecoder decoder;
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final MessageBudget messageBudget;
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final Map<Long, PendingPing> pings = new ConcurrentHashMap<>();
    private final AtomicLong pingIds = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();

    volatile State state = State.HANDSHAKING;
    /** The memory budget chose this connection to go: nothing more is queued for it meanwhile. */
    volatile boolean shedding;
    private volatile Settings peerSettings = Settings.defaults();
    private volatile long lastReadNanos = System.nanoTime();
    /** When the frame the decoder is in the middle of began (about), or 0 at a frame boundary. */
    private volatile long partialFrameSince;
    private volatile ScheduledFuture<?> watchdog;
    private ScheduledFuture<?> handshakeTimer;

    // Connection-level receive credit.
    private final AtomicLong connectionRecvCredit;
    private final AtomicLong connectionUnacked = new AtomicLong();

    // Reader thread only.
    private long pingWindowStart;
    private int pingsInWindow;
    private int framesThisRead;
    /** Bytes of the decoder's frame in progress charged to the account. */
    private long decoderCharged;

    private record PendingPing(long sentNanos, CompletableFuture<Duration> result) {}

    /** @param budget the server's memory budget this connection draws on, or null (a client's) */
    Session(Connection connection, String transport, SessionConfig config, MemoryBudget budget) {
        this.connection = connection;
        this.transport = transport;
        this.config = config;
        this.account = budget == null ? MemoryBudget.UNMETERED : budget.open(this::shed);
        this.decoder = FrameDecoder.forConnection(config.local().maxFrameSize());
        this.out = new Outbound(connection, config.maxQueuedBytes(), config.maxControlBytes(), account,
                this::onWriteFailure, this::runCallback, config);
        this.connectionRecvCredit = new AtomicLong(config.local().connectionWindow());
        // Room for two maximum-size messages in flight beyond the windows, or one connection window.
        this.messageBudget = new MessageBudget(Math.max(2L * config.local().maxMessageSize(),
                config.local().connectionWindow()), account);
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
        account.chargeFixed(BASE_BYTES); // released with the rest of the account when the session closes
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
        return threadMayWrite();
    }

    /** Whether the calling thread may block writing to a socket: not a connection's reader, not the timer. */
    static boolean threadMayWrite() {
        return !READER_THREAD.get() && !Timers.isTimerThread(Thread.currentThread());
    }

    // --- reading ---

    private void readLoop() {
        READER_THREAD.set(Boolean.TRUE);
        boolean heap = connection.prefersHeapBuffers();
        BufferPool pool = BufferPool.read(heap);
        ByteBuffer small = BufferPool.allocate(SMALL_READ_BUFFER_BYTES, heap);
        ByteBuffer big = null;
        ByteBuffer buf = small;
        try {
            while (true) {
                buf.clear();
                int n = connection.read(buf);
                if (n < 0) {
                    if (state == State.CLOSED) {
                        out.closeWhenFinalWritten(); // the peer has closed after (or before) our final frame
                        return;
                    }
                    decoder.endOfInput();
                    onEndOfStream();
                    return;
                }
                long now = System.nanoTime();
                lastReadNanos = now;
                if (state == State.CLOSED || shedding) {
                    // Lingering after our final frame, or about to be shed for the memory it holds: what
                    // the peer still sends is dropped, not buffered.
                    continue;
                }
                buf.flip();
                framesThisRead = 0;
                out.readerHold();
                try {
                    decoder.decode(buf, this::dispatch);
                } finally {
                    wakeups.flush();
                    out.readerFlush();
                }
                afterRead(now);
                // A read that filled the small buffer is a burst: borrow a large one until reads come short.
                if (big == null && n == small.capacity()) {
                    big = pool.take();
                    account.chargeFixed(big.capacity());
                    buf = big;
                } else if (big != null && n < small.capacity() / 2) {
                    pool.give(big);
                    account.releaseFixed(big.capacity());
                    big = null;
                    buf = small;
                }
            }
        } catch (ProtocolException e) {
            failConnection(e.code(), e.getMessage());
            linger(small);
        } catch (IOException e) {
            if (state != State.CLOSED) {
                close(Status.of(StatusCode.UNAVAILABLE, "connection to " + connection.remoteAddress() + " lost: "
                        + describe(e)), null);
            }
        } catch (Throwable e) {
            // An Error here (out of memory, say) ends this connection, never the process.
            logSafely(Level.ERROR, "reader of " + this + " failed", e);
            failConnection(ErrorCode.INTERNAL_ERROR, "internal error");
        } finally {
            if (big != null) {
                pool.give(big);
                account.releaseFixed(big.capacity());
            }
            account.release(decoderCharged);
            decoderCharged = 0;
        }
    }

    /** After each read: charge what the decoder holds, and note whether a frame is left unfinished. */
    private void afterRead(long now) {
        long held = decoder.heldBytes();
        if (held != decoderCharged) {
            if (held > decoderCharged) {
                account.charge(held - decoderCharged);
            } else {
                account.release(decoderCharged - held);
            }
            decoderCharged = held;
        }
        if (decoder.atFrameBoundary()) {
            if (partialFrameSince != 0) {
                partialFrameSince = 0;
            }
        } else if (partialFrameSince == 0 || framesThisRead > 0) {
            partialFrameSince = now; // a new frame began in this read
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
        out.closeWhenFinalWritten();
    }

    private void dispatch(Frame frame) {
        framesThisRead++;
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

    /** The payload length of the frame being dispatched (reader thread, inside {@code on*} methods only). */
    final int currentPayloadLength() {
        return decoder.currentPayloadLength();
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
        if (++pingsInWindow > config.maxPingsPerSecond()) {
            throw new ProtocolException(ErrorCode.ENHANCE_YOUR_CALM, "more than " + config.maxPingsPerSecond()
                    + " PINGs in a second");
        }
        reply(new Frame.Pong(p.payload()));
    }

    /**
     * Queues a connection frame that answers the peer (PONG, ACK, a refusal). On the reader thread: a
     * peer that makes answers pile up without reading them is closed with ENHANCE_YOUR_CALM.
     */
    final void reply(Frame answer) {
        if (!out.sendControl(answer, false) && !out.isClosed()) {
            throw new ProtocolException(ErrorCode.ENHANCE_YOUR_CALM, "the peer sends requests but does not read the "
                    + "answers (" + config.maxControlBytes() + " bytes of them wait)");
        }
    }

    /** As {@link #reply}, from any thread: closes the connection rather than throw. */
    final void replyFromAnyThread(Frame answer) {
        replyFromThisThread(answer, false);
    }

    /**
     * As {@link #replyFromAnyThread}, written by the calling thread itself if {@code mayWrite} and the
     * connection lets it ({@link Outbound#startWriter}): for a thread that may block on the socket.
     */
    final void replyFromThisThread(Frame answer, boolean mayWrite) {
        if (!out.sendControl(answer, mayWrite) && !out.isClosed()) {
            failConnection(ErrorCode.ENHANCE_YOUR_CALM, "the peer sends requests but does not read the answers ("
                    + config.maxControlBytes() + " bytes of them wait)");
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
        switch (c.kind()) {
            case SUBSCRIPTION -> onSubscriptionCredit(c);
            case PUBLISH -> onPublishCredit(c);
            case WINDOW -> {
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
                    throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "window of stream " + c.streamId()
                            + " overflows 2^31-1");
                }
            }
        }
    }

    /** PUBLISH credit; only the client side accepts it. */
    void onPublishCredit(Frame.Credit c) {
        throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "publish CREDIT sent to a server");
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
        int payload = m.payloadLength();
        if (connectionRecvCredit.addAndGet(-payload) < 0) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "received " + payload
                    + " bytes beyond the connection's credit");
        }
        account.charge(payload); // released as its credit is settled (connectionConsumed)
        StreamBase s = streams.get(m.streamId());
        if (s == null) {
            checkKnownStream(m.streamId(), "MESSAGE");
            connectionConsumed(payload);
            return;
        }
        InboundMessage message = s.acceptFragment(m);
        if (message != null) {
            s.onInboundMessage(message);
        }
    }

    /** {@code payloadBytes} of MESSAGE payload were consumed or discarded: their memory goes, their credit returns. */
    final void connectionConsumed(long payloadBytes) {
        account.release(payloadBytes);
        returnConnectionCredit(payloadBytes);
    }

    /** Returns connection credit for {@code payloadBytes} (half a window at a time); their memory is accounted elsewhere. */
    final void returnConnectionCredit(long payloadBytes) {
        if (payloadBytes <= 0) {
            return;
        }
        long threshold = Math.max(1, config.local().connectionWindow() / 2);
        long u = connectionUnacked.addAndGet(payloadBytes);
        if (u >= threshold && connectionUnacked.compareAndSet(u, 0)) {
            connectionRecvCredit.addAndGet(u);
            out.oweConnectionCredit(u);
        }
    }

    // --- handshake helpers for subclasses ---

    /** Records the peer's settings and goes OPEN; starts heartbeats and the watchdog. */
    final void opened(Settings peer) {
        peerSettings = peer;
        out.peerSettings(peer.connectionWindow(), peer.maxFrameSize(), peer.publishWindow());
        decoder.maxFrameLength(config.local().maxFrameSize());
        startWatchdog(config.local().heartbeatIntervalMillis(), peer.heartbeatIntervalMillis());
        if (state == State.HANDSHAKING) {
            state = State.OPEN;
        }
        handshake.complete(null);
    }

    /**
     * The periodic check of a connection: PINGs it when this side has been silent for its heartbeat
     * interval, and closes it when the peer has been silent too long (three of the peer's intervals, or
     * this side's idle timeout, whichever is shorter) or has left a frame unfinished too long.
     */
    private void startWatchdog(int ownMillis, int peerMillis) {
        long idle = config.idleTimeout().toNanos();
        if (peerMillis > 0) {
            long promised = TimeUnit.MILLISECONDS.toNanos(3L * peerMillis);
            idle = idle == 0 ? promised : Math.min(idle, promised);
        }
        long frame = config.frameTimeout().toNanos();
        long ping = TimeUnit.MILLISECONDS.toNanos(ownMillis);
        long tick = Long.MAX_VALUE;
        if (ping > 0) {
            tick = Math.min(tick, ping / 2);
        }
        if (idle > 0) {
            tick = Math.min(tick, idle / 3);
        }
        if (frame > 0) {
            tick = Math.min(tick, frame / 3);
        }
        if (tick == Long.MAX_VALUE) {
            return;
        }
        long idleNanos = idle;
        tick = Math.max(TimeUnit.MILLISECONDS.toNanos(10), tick);
        watchdog = Timers.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            if (idleNanos > 0 && now - lastReadNanos > idleNanos) {
                failConnection(ErrorCode.KEEPALIVE_TIMEOUT, "nothing received for "
                        + TimeUnit.NANOSECONDS.toMillis(now - lastReadNanos) + " ms (the limit is "
                        + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms)");
                return;
            }
            long since = partialFrameSince;
            if (frame > 0 && since != 0 && now - since > frame) {
                failConnection(ErrorCode.FRAME_TIMEOUT, "a frame begun " + TimeUnit.NANOSECONDS.toMillis(now - since)
                        + " ms ago is still incomplete (the limit is " + TimeUnit.NANOSECONDS.toMillis(frame) + " ms)");
                return;
            }
            if (ping > 0 && now - out.lastWriteNanos >= ping) {
                out.sendControl(new Frame.Ping(-pingIds.incrementAndGet()), false);
            }
        }, tick, TimeUnit.NANOSECONDS);
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
        try {
            logSafely(Level.WARNING, "closing connection " + connection.remoteAddress() + " (" + transport + "): "
                    + code + ": " + message, null);
            Status status = Status.of(StatusCode.UNAVAILABLE, "connection error " + code + ": " + message);
            if (state == State.HANDSHAKING) {
                handshake.completeExceptionally(status.asException());
            }
            Frame error = new Frame.Error(code, message);
            close(status, before == null ? new Frame[] {error} : new Frame[] {before, error}, true);
        } catch (Throwable t) {
            // Out of memory while closing: close the socket at least, so the peer and its memory go.
            connection.close();
            logSafely(Level.ERROR, "closing " + this + " failed", t);
        }
    }

    /** Logs, and never throws: a log call that fails (out of memory) must not take its caller's thread down. */
    static void logSafely(Level level, String message, Throwable t) {
        try {
            if (t == null) {
                LOG.log(level, message);
            } else {
                LOG.log(level, message, t);
            }
        } catch (Throwable ignored) {
            // nothing more can be done
        }
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
        ScheduledFuture<?> w = watchdog;
        if (w != null) {
            w.cancel(false);
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
        out.whenClosed(account::close); // what the outbound still holds stays charged until it is out
        OpenResources.closed(this);
        closed.complete(status);
    }

    /**
     * The memory budget chose this connection to go: ERROR OVERLOADED, from a thread of its own (the
     * budget decides under other connections' locks).
     */
    private void shed(String reason) {
        shedding = true;
        try {
            Thread.ofVirtual().name("framewire-shed").start(() -> failConnection(ErrorCode.OVERLOADED, reason));
        } catch (Throwable t) {
            connection.close();
        }
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
