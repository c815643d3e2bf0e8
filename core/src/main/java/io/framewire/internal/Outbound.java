package io.framewire.internal;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The write side of one connection.
 *
 * <p>Frames queue here, per stream ({@link SendQueue}), per subscription ({@link BrokerSubscription})
 * and for the connection (pings, acknowledgements, refusals), and one writer at a time drains them:
 * connection frames first, then the sources round-robin, one fragment of at most 64 KiB each per turn,
 * so a large transfer never holds a small call behind it. The writer encodes a batch of frames into one
 * buffer and writes it with one system call, so under load many small frames cost one write.
 *
 * <h2>Who writes</h2>
 * The writer is a virtual thread of the engine's own, which nobody else can interrupt: a JDK socket
 * channel closes itself for everyone when a thread that writes to it is interrupted, and the threads
 * that queue frames (callers, handlers) are interrupted all the time to cancel what they do. Where the
 * transport's writes survive interrupts on the queuing thread ({@link Connection#writesSurviveInterrupts},
 * asked on that thread), a thread that queues a frame while no writer is active and whose interrupt
 * flag is clear writes it itself (no
 * thread hop for an idle connection), and hands the rest to a virtual thread after a few batches. A
 * thread that must never block on the socket (a connection's reader, the timer) hands off: a reader
 * blocked in a write could deadlock with a peer doing the same. The one exception is the connection's
 * own reader writing what it produced itself (an inline handler's response, a PONG, credit): it holds
 * those until it has handled what one read brought ({@link #readerHold}), then offers them to the
 * transport once without waiting ({@link Connection#tryWrite}) and hands only what was not taken to a
 * writer thread. Measured (unary echo over unix with an inline handler): a thread hop fewer per call.
 *
 * <h2>Bounds</h2>
 * Calls' frames and messages are bounded in bytes: {@link #awaitRoomLocked} blocks senders while the
 * queue is full. Connection frames are bounded in bytes too, and a peer that fills that bound without
 * reading is closed. Flow-control credit owed to the peer is not queued at all but counted, and turned
 * into one CREDIT frame per stream when the writer runs, so it costs no room. Everything queued here,
 * and the buffer the writer holds, is charged to the connection's share of the memory budget.
 */
final class Outbound {
    /** Bytes one batch may hold before it is written. */
    static final int BATCH_BYTES = 128 * 1024;
    /** Batches a calling thread writes before it hands the writing to a virtual thread. */
    private static final int INLINE_BATCHES = 2;
    /** Queued bytes are charged to the memory account in steps of this much. */
    private static final long CHARGE_STEP = 32 * 1024;
    /**
     * What a queued connection frame (an ACK, a PONG, a refusal) costs the heap beyond its encoded
     * bytes, charged while it waits: the frame object (24 bytes for an ACK) and its slot in
     * {@link #control} (up to 8 with the deque's doubling). Without it, 40 peers sending acknowledged
     * empty publishes and never reading the ACKs made a server with a 32 MiB budget hold 58.7 MiB of
     * heap at 28.2 MiB {@code memoryInUse} (HostileProcessesTest a12d3).
     */
    static final int QUEUED_FRAME_OVERHEAD = 32;

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<Frame> control = new ArrayDeque<>();
    private final ArrayDeque<OutboundSource> ready = new ArrayDeque<>();
    private final List<OutboundSource> waitingForConnectionCredit = new ArrayList<>();
    /**
     * Streams whose async senders want to hear onReady: registered by {@link #watchReady}, dropped once
     * told, and registered again by each {@link #isReady} that says no, so onReady fires after every
     * "not ready", not only the first.
     */
    private final java.util.Set<SendQueue> readyWaiters = new java.util.LinkedHashSet<>();
    /** Streams that have ended but still have frames to write: credit for them must still find them. */
    private final java.util.Map<Integer, SendQueue> finishing = new java.util.HashMap<>();
    /** {@code finishing.size()}, for readers that do not take the lock. */
    private volatile int finishingCount;
    private final long maxQueuedBytes;
    private final long maxControlBytes;
    private final MemoryBudget.Account account;
    /** Whether the write buffer is a heap one ({@link Connection#prefersHeapBuffers}). */
    private final boolean heapBuffers;
    private final Consumer<Throwable> onWriteFailure;
    private final Consumer<Runnable> readyNotifier;
    /** Whose {@link HeldWrites} apply here: the session's config, one per client. */
    private final Object holdScope;

    // Guarded by lock.
    private final long[] connectionWindow = new long[1];
    /** Calls' frames and messages queued: the bound senders wait on. */
    private long queuedBytes;
    /** Connection frames queued: their encoded sizes plus {@link #QUEUED_FRAME_OVERHEAD} each. */
    private long controlBytes;
    /** Runs once the connection closes, when {@link #whenClosed} came while final frames were still going out. */
    private Runnable onClosed;
    /** Deliveries queued by this connection's subscriptions together. */
    private long subscriptionBytes;
    /** What the three above have charged to the account, in steps. */
    private long charged;
    private long owedConnectionCredit;
    private long owedPublishCredit;
    private int maxFragment;
    private int peerMaxFrameSize = io.framewire.protocol.Setting.MAX_FRAME_SIZE.defaultValue();
    private boolean writing;
    private boolean closed;
    private boolean closeAfterFlush;
    /** Close the connection outright (not only its sending side) once the final frames are out. */
    private boolean closeOnceFinalWritten;
    /** After {@link #closeAfter}: the streams' frames are dropped, nothing of theirs is written any more. */
    private boolean streamsDropped;
    /** The grace timer of a close in progress, cancelled when the connection closes first. */
    private java.util.concurrent.ScheduledFuture<?> graceTimer;

    // Owned by the current writer.
    private final List<Frame> batch = new ArrayList<>();
    private ByteBuffer buffer;
    /** The buffer holds the batch encoded and partly written: a writer taking over writes the rest first. */
    private boolean batchEncoded;

    // Touched only by the connection's reader (other threads compare it with themselves: never equal).
    /** The connection's reader, once it runs. */
    private Thread reader;
    /** The reader is handling what one read brought: what it queues is written when it is done. */
    private boolean readerHolding;
    /** The reader queued something while holding: {@link #readerFlush} writes it. */
    private boolean readerOwes;

    /** Nanos of the last completed write, for heartbeats. */
    volatile long lastWriteNanos = System.nanoTime();

    /**
     * @param maxQueuedBytes bound of calls' frames and messages; senders wait beyond it
     * @param maxControlBytes bound of connection frames; {@link #sendControl} refuses beyond it
     * @param account what queued bytes and the write buffer are charged to
     * @param onWriteFailure told once when a write fails, on the writing thread
     * @param readyNotifier runs a stream's onReady callback (off the lock, off the writer's thread)
     * @param holdScope the scope a thread's {@link HeldWrites} must have to hold writes here
     */
    Outbound(Connection connection, long maxQueuedBytes, long maxControlBytes, MemoryBudget.Account account,
             Consumer<Throwable> onWriteFailure, Consumer<Runnable> readyNotifier) {
        this(connection, maxQueuedBytes, maxControlBytes, account, onWriteFailure, readyNotifier, new Object());
    }

    Outbound(Connection connection, long maxQueuedBytes, long maxControlBytes, MemoryBudget.Account account,
             Consumer<Throwable> onWriteFailure, Consumer<Runnable> readyNotifier, Object holdScope) {
        this.holdScope = holdScope;
        this.connection = connection;
        this.maxQueuedBytes = maxQueuedBytes;
        this.maxControlBytes = maxControlBytes;
        this.account = account;
        this.heapBuffers = connection.prefersHeapBuffers();
        this.onWriteFailure = onWriteFailure;
        this.readyNotifier = readyNotifier;
        this.connectionWindow[0] = io.framewire.protocol.Setting.CONNECTION_WINDOW.defaultValue();
        this.maxFragment = FrameLayout.MAX_FRAGMENT_PAYLOAD;
    }

    /** Applies the peer's settings once its HELLO has arrived. */
    void peerSettings(long connectionWindow, int peerMaxFrameSize, int publishWindow) {
        lock.lock();
        try {
            this.connectionWindow[0] = connectionWindow;
            this.maxFragment = Math.min(FrameLayout.MAX_FRAGMENT_PAYLOAD, peerMaxFrameSize - FrameLayout.MIN_LENGTH);
            this.peerMaxFrameSize = peerMaxFrameSize;
        } finally {
            lock.unlock();
        }
    }

    ReentrantLock lock() {
        return lock;
    }

    /** The largest frame Length the peer accepts. Lock held. */
    int peerMaxFrameSizeLocked() {
        return peerMaxFrameSize;
    }

    // --- queueing ---

    /**
     * Queues a connection-level frame and makes sure it is written.
     *
     * @param mayWrite whether the calling thread may block writing to the socket
     * @return false if the connection is closed or connection frames already fill their bound
     */
    boolean sendControl(Frame frame, boolean mayWrite) {
        boolean start;
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return false;
            }
            int n = FrameEncoder.encodedLength(frame) + QUEUED_FRAME_OVERHEAD;
            if (controlBytes + n > maxControlBytes) {
                return false;
            }
            control.add(frame);
            controlBytes += n;
            syncChargeLocked();
            start = claimWriterLocked();
        } finally {
            lock.unlock();
        }
        if (start) {
            startWriter(mayWrite);
        }
        return true;
    }

    /**
     * Queues a stream's frame or message under the lock (the caller holds it), scheduling the stream.
     * The caller calls {@link #flush} after releasing the lock.
     */
    boolean enqueueLocked(SendQueue q, Frame frameOrNull, byte[] messageOrNull) {
        return enqueueLocked(q, frameOrNull, messageOrNull,
                frameOrNull == null ? 0 : FrameEncoder.encodedLength(frameOrNull));
    }

    /**
     * As {@link #enqueueLocked(SendQueue, Frame, byte[])}, for a caller that has just computed the
     * frame's {@link FrameEncoder#encodedLength} ({@code frameLength}; ignored for a message).
     */
    boolean enqueueLocked(SendQueue q, Frame frameOrNull, byte[] messageOrNull, int frameLength) {
        if (closed || closeAfterFlush || q.discarded) {
            return false;
        }
        long before = q.queuedBytes;
        if (frameOrNull != null) {
            q.addFrame(frameOrNull, frameLength);
        } else {
            q.addMessage(messageOrNull);
        }
        queuedBytes += q.queuedBytes - before;
        syncChargeLocked();
        scheduleLocked(q);
        return true;
    }

    /**
     * Marks the stream ended (the caller holds the lock): nothing more may be queued, and what is
     * queued still goes out, as credit allows.
     */
    void endLocked(SendQueue q) {
        q.discarded = true;
        q.owedCredit = 0;
        readyWaiters.remove(q);
        if (!q.isEmpty()) {
            finishing.put(q.streamId, q);
            finishingCount = finishing.size();
        }
    }

    /** An ended stream that still has frames to write, for routing the peer's credit to it. */
    SendQueue finishing(int streamId) {
        lock.lock();
        try {
            return finishing.get(streamId);
        } finally {
            lock.unlock();
        }
    }

    /** Streams that have ended but whose final frames are not all written yet: they still count as open. */
    int finishingCount() {
        return finishingCount;
    }

    /**
     * Messages queued on one source closer together than this are a burst: the sender hands the
     * writing to the writer thread instead of writing each one itself. Measured (64 B server
     * streaming, one stream, loopback): writing every message on the sending thread costs a system call
     * per message, about 0.4M msgs/s; handing a burst to the writer lets it coalesce, about 3.4M msgs/s.
     * An isolated message (a unary call, a chat line) still goes out without a thread hop.
     */
    static final long BURST_NANOS = 100_000;

    /**
     * Whether the calling thread should write a message it just queued on {@code q} itself: only if it
     * may block, and the message is not part of a burst on {@code q}. Call with the lock held.
     */
    boolean writeInlineLocked(SendQueue q, boolean mayWrite) {
        long now = System.nanoTime();
        boolean burst = now - q.lastMessageNanos < BURST_NANOS;
        q.lastMessageNanos = now;
        return mayWrite && !burst;
    }

    /** Queues one frame on a stream and writes it out. */
    boolean send(SendQueue q, Frame frame, boolean mayWrite) {
        boolean ok;
        lock.lock();
        try {
            ok = enqueueLocked(q, frame, null);
        } finally {
            lock.unlock();
        }
        if (ok) {
            flush(mayWrite);
        }
        return ok;
    }

    /**
     * Drops what the stream has queued and not yet written, then queues {@code last} (a CANCEL or
     * STATUS that ends the stream), unless the stream never reached the wire, in which case nothing is
     * sent at all. Afterwards the stream accepts nothing more.
     */
    void finish(SendQueue q, Frame last, boolean mayWrite) {
        lock.lock();
        try {
            if (q.discarded) {
                return;
            }
            queuedBytes -= q.clear();
            q.owedCredit = 0;
            finishing.remove(q.streamId);
            boolean wrote = q.opened || last instanceof Frame.Status;
            if (wrote && last != null && !closed) {
                q.addFrame(last);
                queuedBytes += q.queuedBytes;
                scheduleLocked(q);
                finishing.put(q.streamId, q);
            }
            finishingCount = finishing.size();
            syncChargeLocked();
            q.discarded = true; // after addFrame: nothing else may follow the final frame
            waitingForConnectionCredit.remove(q);
            readyWaiters.remove(q);
            room.signalAll();
        } finally {
            lock.unlock();
        }
        flush(mayWrite);
    }

    /**
     * Blocks, with the lock held, until the stream and the connection have room, the deadline passes,
     * or the stream closes; returns false at the deadline. A sender checks for room and queues in one
     * turn of the lock.
     */
    boolean awaitRoomLocked(SendQueue q, long streamThreshold, long deadlineNanos) throws InterruptedException {
        while (!closed && !q.discarded && (q.queuedBytes >= streamThreshold || queuedBytes >= maxQueuedBytes)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            writeWhatThisThreadHoldsLocked();
            room.awaitNanos(left);
        }
        return true;
    }

    /**
     * Waits, with the lock held, until {@code done} holds (checked under the lock), the deadline passes
     * or the connection closes. Woken whenever the writer takes frames. Returns whether {@code done} held.
     */
    boolean awaitLocked(java.util.function.BooleanSupplier done, long deadlineNanos) throws InterruptedException {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (closed || left <= 0) {
                return false;
            }
            writeWhatThisThreadHoldsLocked();
            room.awaitNanos(left);
        }
        return true;
    }

    /** Wakes threads waiting for room (for example a publisher blocked on a subscription that closed). */
    void signalRoom() {
        lock.lock();
        try {
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a sender could queue on this stream now without waiting (lock held). */
    boolean hasRoomLocked(SendQueue q, long streamThreshold) {
        return closed || q.discarded || (q.queuedBytes < streamThreshold && queuedBytes < maxQueuedBytes);
    }

    /** Whether a sender could queue on this stream now without waiting; if not, onReady fires later. */
    boolean isReady(SendQueue q, long streamThreshold) {
        lock.lock();
        try {
            boolean ready = !closed && !q.discarded && q.queuedBytes < streamThreshold && queuedBytes < maxQueuedBytes;
            if (!ready) {
                q.readyWanted = true;
                if (q.onReady != null && !q.discarded) {
                    readyWaiters.add(q);
                }
            }
            return ready;
        } finally {
            lock.unlock();
        }
    }

    // --- memory ---

    /** This connection's subscriptions queued ({@code delta} > 0) or let go of deliveries. Lock held. */
    void subscriptionBytesChangedLocked(long delta) {
        subscriptionBytes += delta;
        syncChargeLocked();
    }

    /** Deliveries this connection's subscriptions hold together. Lock held. */
    long subscriptionBytesLocked() {
        return subscriptionBytes;
    }

    /** Keeps what is charged to the account within a step of what is queued. Lock held. */
    private void syncChargeLocked() {
        long total = queuedBytes + controlBytes + subscriptionBytes;
        if (total > charged) {
            long target = (total / CHARGE_STEP + 1) * CHARGE_STEP;
            account.charge(target - charged);
            charged = target;
        } else if (charged - total > 2 * CHARGE_STEP) {
            long target = (total / CHARGE_STEP + 1) * CHARGE_STEP;
            account.release(charged - target);
            charged = target;
        }
    }

    // --- credit ---

    /** The peer granted stream (or, on the publish queue, publish) credit. False if the window would overflow 2^31-1. */
    boolean addStreamCredit(SendQueue q, int increment) {
        lock.lock();
        try {
            if (q.window + increment > FrameLayout.MAX_WINDOW) {
                return false;
            }
            q.window += increment;
            scheduleLocked(q);
        } finally {
            lock.unlock();
        }
        flush(false);
        return true;
    }

    /** The peer granted connection credit. Returns false if the window would overflow 2^31-1. */
    boolean addConnectionCredit(int increment) {
        lock.lock();
        try {
            if (connectionWindow[0] + increment > FrameLayout.MAX_WINDOW) {
                return false;
            }
            connectionWindow[0] += increment;
            for (OutboundSource q : waitingForConnectionCredit) {
                scheduleLocked(q);
            }
            waitingForConnectionCredit.clear();
        } finally {
            lock.unlock();
        }
        flush(false);
        return true;
    }

    /**
     * We owe the peer connection credit: the writer sends it, however many times it is owed meanwhile,
     * as one CREDIT frame. Never refused for want of room, so credit cannot be lost.
     */
    void oweConnectionCredit(long increment) {
        owe(increment, false);
    }

    /** As {@link #oweConnectionCredit}, for publish credit (a broker's). */
    void owePublishCredit(long increment) {
        owe(increment, true);
    }

    private void owe(long increment, boolean publish) {
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return;
            }
            if (publish) {
                owedPublishCredit += increment;
            } else {
                owedConnectionCredit += increment;
            }
        } finally {
            lock.unlock();
        }
        flush(false);
    }

    /** As {@link #oweConnectionCredit}, for a stream: sent ahead of the stream's own frames; dropped once it ends. */
    void oweStreamCredit(SendQueue q, long increment) {
        lock.lock();
        try {
            if (closed || closeAfterFlush || q.discarded) {
                return;
            }
            q.owedCredit += increment;
            scheduleLocked(q);
        } finally {
            lock.unlock();
        }
        flush(false);
    }

    void scheduleLocked(OutboundSource q) {
        if (!q.scheduled && !q.isEmpty() && !streamsDropped) {
            q.scheduled = true;
            ready.addLast(q);
        }
    }

    /** Schedules a source that has something new to send, and makes sure it gets written. */
    void activate(OutboundSource q, boolean mayWrite) {
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return;
            }
            scheduleLocked(q);
        } finally {
            lock.unlock();
        }
        flush(mayWrite);
    }

    void forgetFinishedLocked(SendQueue q) {
        finishing.remove(q.streamId, q);
        finishingCount = finishing.size();
    }

    // --- closing ---

    /**
     * Writes {@code lastFrames} (a final ERROR or GOAWAY, and what must precede it) after the connection
     * frames already queued (PONGs and answers the peer is owed) but instead of everything else, then
     * stops sending. Gives up and closes after {@code graceMillis} if the peer does not read.
     */
    void closeAfter(long graceMillis, Frame... lastFrames) {
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return;
            }
            dropStreamsLocked();
            for (Frame f : lastFrames) {
                control.add(f);
                controlBytes += FrameEncoder.encodedLength(f) + QUEUED_FRAME_OVERHEAD;
            }
            syncChargeLocked();
            closeAfterFlush = true;
            streamsDropped = true;
            room.signalAll();
            graceTimer = Timers.schedule(this::closeNow, graceMillis, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
        flush(false);
    }

    /**
     * Closes the connection once everything queued has been written (a graceful end), or after
     * {@code graceMillis} at the latest. Nothing more may be queued.
     */
    void closeWhenFlushed(long graceMillis) {
        boolean now;
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return;
            }
            closeAfterFlush = true;
            now = !writing && control.isEmpty() && ready.isEmpty();
        } finally {
            lock.unlock();
        }
        if (now) {
            closeNow();
        } else {
            java.util.concurrent.ScheduledFuture<?> t = Timers.schedule(this::closeNow, graceMillis, TimeUnit.MILLISECONDS);
            lock.lock();
            try {
                graceTimer = t;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Drops every stream's unwritten frames (lock held): an abortive close writes none of them. */
    private void dropStreamsLocked() {
        for (OutboundSource q : ready) {
            q.scheduled = false;
            if (q instanceof SendQueue s) {
                s.clear();
                s.owedCredit = 0;
            }
        }
        for (SendQueue s : finishing.values()) {
            s.clear();
        }
        ready.clear();
        finishing.clear();
        finishingCount = 0;
        waitingForConnectionCredit.clear();
        queuedBytes = 0;
    }

    /**
     * The peer has closed its side (end of stream). Closes the connection now if our final frames are
     * out (or there are none to send), else as soon as they are: closing earlier would race the writer
     * and lose the final ERROR.
     */
    void closeWhenFinalWritten() {
        boolean now;
        lock.lock();
        try {
            now = closed || !closeAfterFlush;
            if (!now) {
                closeOnceFinalWritten = true;
            }
        } finally {
            lock.unlock();
        }
        if (now) {
            closeNow();
        }
    }

    /** Closes the connection now; queued frames are dropped. Idempotent. */
    void closeNow() {
        java.util.concurrent.ScheduledFuture<?> timer;
        Runnable then;
        lock.lock();
        try {
            // Possibly only the sending side was shut (a lingering close): finish it, and let go of
            // everything now rather than when the grace timer would have.
            closed = true;
            streamsDropped = true;
            control.clear();
            controlBytes = 0;
            dropStreamsLocked();
            owedConnectionCredit = 0;
            owedPublishCredit = 0;
            syncChargeLocked();
            room.signalAll();
            timer = graceTimer;
            graceTimer = null;
            then = onClosed;
            onClosed = null;
        } finally {
            lock.unlock();
        }
        if (timer != null) {
            timer.cancel(false); // it holds this connection until it runs
        }
        connection.close();
        if (then != null) {
            then.run();
        }
    }

    /**
     * Runs {@code r} once this outbound holds nothing more: at once, unless final frames (an ERROR or
     * GOAWAY, and the connection frames queued before them) are still going out, and then when they are
     * out or the grace ends. A closing session gives its share of the memory budget back through this,
     * so a peer that does not read cannot make closing connections hold their queues uncharged (40 peers
     * that never read their ACKs: 44 MiB of heap held at 0.1 MiB {@code memoryInUse} through the grace,
     * HostileProcessesTest a12d3). {@code r} must not throw.
     */
    void whenClosed(Runnable r) {
        lock.lock();
        try {
            if (closeAfterFlush && !closed) {
                onClosed = r;
                return;
            }
        } finally {
            lock.unlock();
        }
        r.run();
    }

    /** Bytes of calls' frames queued against the bound; for tests. */
    long queuedBytes() {
        lock.lock();
        try {
            return queuedBytes;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    // --- writing ---

    /**
     * Makes sure queued frames get written: becomes the writer if nobody is and the caller may,
     * otherwise hands the writing to a new virtual thread.
     */
    void flush(boolean mayWrite) {
        boolean claimed = claimWriter();
        if (claimed) {
            startWriter(mayWrite);
        }
    }

    /** {@link #claimWriterLocked} in a turn of the lock of its own. */
    private boolean claimWriter() {
        lock.lock();
        try {
            return claimWriterLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * With the lock held, typically right after queueing: whether the caller must start a writer
     * ({@link #startWriter}, after releasing the lock), because something is queued and nobody writes.
     * A hot sender thereby takes the lock once per message rather than twice: when a writer is active it
     * is sure to see what was just queued, since it only stops after finding the queues empty under the lock.
     */
    boolean claimWriterLocked() {
        if (writing || closed || (control.isEmpty() && ready.isEmpty() && owedConnectionCredit == 0
                && owedPublishCredit == 0)) {
            return false;
        }
        if (HeldWrites.defer(this, holdScope)) {
            return false; // this thread holds its writes here: they leave when its hold is released
        }
        if (readerHolding && Thread.currentThread() == reader) {
            readerOwes = true; // written at the end of the read, unless another thread's writer takes it first
            return false;
        }
        writing = true;
        return true;
    }

    // --- the reader's own writes ---

    /**
     * The connection's reader starts handling what one read brought: until {@link #readerFlush}, what it
     * queues here (an inline handler's response, a PONG, credit) stays queued, so one write takes it all.
     * Frames other threads queue meanwhile go out as usual, and take the reader's with them.
     */
    void readerHold() {
        reader = Thread.currentThread();
        readerHolding = true;
    }

    /**
     * The reader is done with one read: writes what it queued itself, as far as the transport takes it
     * without waiting ({@link Connection#tryWrite}), and hands the rest to a writer thread. Only ever
     * this connection's own reader writes here: a reader that wrote to another connection's socket could
     * wait on another peer.
     */
    void readerFlush() {
        readerHolding = false;
        if (!readerOwes) {
            return;
        }
        readerOwes = false;
        flushWithoutWaiting();
    }

    /**
     * Makes sure queued frames get written, without ever waiting for the peer on this thread: writes what
     * the transport takes at once ({@link Connection#tryWrite}) and hands the rest to a writer thread.
     * For threads that must never wait on a socket but should not pay a thread hop when it has room:
     * the connection's reader, an event loop.
     */
    void flushWithoutWaiting() {
        boolean claimed = claimWriter();
        if (!claimed) {
            return;
        }
        int limit = connection.maxTryWriteBytes();
        if (limit <= 0 || Thread.currentThread().isInterrupted() || !connection.writesSurviveInterrupts()) {
            startWriterThread();
            return;
        }
        try {
            drainBatches(INLINE_BATCHES, limit);
        } catch (Throwable t) {
            writingFailed(t);
        }
    }

    /**
     * About to wait for room (lock held): if what this thread holds back is why nothing is being written,
     * a writer thread writes it now, or the wait would never end.
     */
    private void writeWhatThisThreadHoldsLocked() {
        if (!writing && !closed && HeldWrites.holds(holdScope)) {
            writing = true;
            startWriterThread();
        }
    }

    /**
     * Runs the writer that {@link #claimWriterLocked} claimed: on this thread if it may block and the
     * transport's writes survive an interrupt (and this thread is not interrupted now), else on a new
     * virtual thread of the engine's own.
     */
    void startWriter(boolean mayWrite) {
        if (mayWrite && !Thread.currentThread().isInterrupted() && connection.writesSurviveInterrupts()) {
            drain(INLINE_BATCHES);
            return;
        }
        startWriterThread();
    }

    private void startWriterThread() {
        try {
            Thread.ofVirtual().name("framewire-writer").start(() -> drain(Integer.MAX_VALUE));
        } catch (Throwable t) {
            // Out of memory for a thread: nobody will write, so the connection cannot go on.
            writingFailed(t);
        }
    }

    /**
     * Runs as the one writer: writes up to {@code maxBatches} batches, then hands off or stops. Whatever
     * it meets (a failed write, a frame that does not encode, an Error) ends this connection, and never
     * leaves it marked as being written forever.
     */
    private void drain(int maxBatches) {
        try {
            drainBatches(maxBatches, 0);
        } catch (Throwable t) {
            writingFailed(t);
        }
    }

    /** A writer met a failure (a failed write, a frame that does not encode, an Error): this connection ends. */
    private void writingFailed(Throwable t) {
        stopWriting();
        closeNow();
        onWriteFailure.accept(t);
    }

    /** The writer gives its buffer back, then lets another writer start: never the other way round. */
    private void stopWriting() {
        lock.lock();
        try {
            stopWritingLocked();
        } finally {
            lock.unlock();
        }
    }

    private void stopWritingLocked() {
        returnBuffer();
        writing = false;
    }

    /**
     * Writes batches as the writer. With {@code tryLimit} > 0 (a thread that must not wait: the reader,
     * an event loop), each batch of at most that many bytes is offered to the transport once
     * ({@link Connection#tryWrite}); what it does not take, or a larger batch, a writer thread writes.
     */
    private void drainBatches(int maxBatches, int tryLimit) throws IOException {
        boolean withoutWaiting = tryLimit > 0;
        for (int n = 0; ; n++) {
            List<Runnable> readyCallbacks = null;
            boolean last = false;
            boolean handOff = false;
            boolean stop = false;
            lock.lock();
            try {
                if (n == maxBatches) {
                    // Enough for this caller; a virtual thread takes over if anything is left.
                    handOff = !closed && (!control.isEmpty() || !ready.isEmpty() || owedConnectionCredit > 0
                            || owedPublishCredit > 0);
                    if (handOff) {
                        returnBuffer(); // still the writer: nobody else touches the buffer
                    } else {
                        stopWritingLocked();
                    }
                    stop = true;
                } else {
                    batch.clear();
                    long released = fillBatchLocked();
                    if (batch.isEmpty() || closed) {
                        stopWritingLocked();
                        stop = true;
                    } else {
                        queuedBytes -= released;
                        syncChargeLocked();
                        last = closeAfterFlush && control.isEmpty() && ready.isEmpty();
                        readyCallbacks = collectReadyLocked();
                        room.signalAll();
                    }
                }
            } finally {
                lock.unlock();
            }
            if (stop) {
                if (handOff) {
                    startWriterThread();
                }
                return;
            }
            if (readyCallbacks != null) {
                readyCallbacks.forEach(readyNotifier);
            }
            if (withoutWaiting && !tryWriteBatch(tryLimit)) {
                handOffBatch(last);
                return;
            }
            if (!withoutWaiting) {
                writeBatch();
            }
            lastWriteNanos = System.nanoTime();
            if (last) {
                finishAfterFinalFrames();
                return;
            }
        }
    }

    /**
     * Encodes the batch into the buffer and offers it to the transport once; true if all of it went.
     * A batch larger than {@code limit} or than the buffer is not tried: the writer thread encodes and
     * writes it, so the trying thread encodes at most a limit's worth for nothing.
     */
    private boolean tryWriteBatch(int limit) throws IOException {
        ByteBuffer b = buffer();
        b.clear();
        for (Frame f : batch) {
            if (!FrameEncoder.tryEncode(f, b) || b.position() > limit) {
                return false;
            }
        }
        b.flip();
        batchEncoded = true;
        connection.tryWrite(b);
        if (b.hasRemaining()) {
            return false;
        }
        batchEncoded = false;
        b.clear();
        batch.clear();
        return true;
    }

    /** A writer thread takes over the batch the reader could not write whole, then drains the rest. */
    private void handOffBatch(boolean last) {
        try {
            Thread.ofVirtual().name("framewire-writer").start(() -> {
                try {
                    if (batchEncoded) {
                        batchEncoded = false;
                        connection.write(buffer);
                        buffer.clear();
                        batch.clear();
                    } else {
                        writeBatch();
                    }
                    lastWriteNanos = System.nanoTime();
                    if (last) {
                        finishAfterFinalFrames();
                        return;
                    }
                    drainBatches(Integer.MAX_VALUE, 0);
                } catch (Throwable t) {
                    writingFailed(t);
                }
            });
        } catch (Throwable t) {
            writingFailed(t);
        }
    }

    /**
     * The final frames (an ERROR or GOAWAY) are out: stop sending but keep the receiving side open, so
     * the peer reads them instead of a reset; the reader closes once the peer has closed too (or has
     * already), or the grace timer does.
     */
    private void finishAfterFinalFrames() {
        boolean closeNow;
        Runnable then;
        lock.lock();
        try {
            stopWritingLocked();
            closed = true;
            closeNow = closeOnceFinalWritten;
            room.signalAll();
            then = onClosed;
            onClosed = null;
        } finally {
            lock.unlock();
        }
        if (then != null) {
            then.run(); // everything queued is out
        }
        if (closeNow) {
            connection.close();
            return;
        }
        try {
            connection.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            connection.close();
        }
    }

    /**
     * Moves up to a batch of frames into {@link #batch}: credit owed first, then connection frames, then
     * the sources in turn. Returns the bytes that leave the calls' queue bound.
     */
    private long fillBatchLocked() {
        long moved = 0;
        long released = 0;
        int budget = BATCH_BYTES;
        if (owedConnectionCredit > 0) {
            batch.add(new Frame.Credit(0, false, (int) Math.min(owedConnectionCredit, FrameLayout.MAX_WINDOW)));
            owedConnectionCredit = Math.max(0, owedConnectionCredit - FrameLayout.MAX_WINDOW);
        }
        if (owedPublishCredit > 0) {
            batch.add(Frame.Credit.publish((int) Math.min(owedPublishCredit, FrameLayout.MAX_WINDOW)));
            owedPublishCredit = Math.max(0, owedPublishCredit - FrameLayout.MAX_WINDOW);
        }
        while (!control.isEmpty() && moved < budget) {
            Frame f = control.poll();
            batch.add(f);
            int n = FrameEncoder.encodedLength(f);
            moved += n;
            controlBytes -= n + QUEUED_FRAME_OVERHEAD;
        }
        // Each turn moves at least one frame or drops the source from the ring, so this ends.
        while (moved < budget && !ready.isEmpty()) {
            OutboundSource q = ready.pollFirst();
            q.scheduled = false;
            if (q.sendable(connectionWindow[0])) {
                long before = q.accountedBytes();
                moved += q.pollInto(batch, FrameLayout.MAX_FRAGMENT_PAYLOAD, maxFragment, connectionWindow);
                released += before - q.accountedBytes();
            }
            if (q.isEmpty()) {
                q.drained(this);
                continue;
            }
            if (q.sendable(connectionWindow[0])) {
                q.scheduled = true;
                ready.addLast(q);
            } else if (q.waitsForConnectionCredit(connectionWindow[0])) {
                // Blocked by the connection window: rescheduled when connection credit arrives.
                if (!waitingForConnectionCredit.contains(q)) {
                    waitingForConnectionCredit.add(q);
                }
            }
            // Otherwise blocked by its own credit: rescheduled when that credit arrives.
        }
        return released;
    }

    private List<Runnable> collectReadyLocked() {
        List<Runnable> out = null;
        // Streams whose async senders wait for room; cheap when none wait.
        for (SendQueue q : readyWaiters) {
            if (q.readyWanted && q.queuedBytes < q.readyThreshold && queuedBytes < maxQueuedBytes && q.onReady != null) {
                q.readyWanted = false;
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(q.onReady);
            }
        }
        if (out != null) {
            readyWaiters.removeIf(q -> !q.readyWanted);
        }
        return out;
    }

    /** Registers a stream whose async sender wants onReady calls. */
    void watchReady(SendQueue q, long threshold, Runnable onReady) {
        boolean owed;
        lock.lock();
        try {
            q.readyThreshold = threshold;
            q.onReady = onReady;
            // A sender may have asked isReady() (and heard no) before it was watched, and the stream may
            // have drained meanwhile, with no batch left to tell it: tell it now, or it waits for ever.
            owed = q.readyWanted && !closed && !q.discarded && q.queuedBytes < threshold && queuedBytes < maxQueuedBytes;
            if (owed) {
                q.readyWanted = false;
            } else {
                readyWaiters.add(q);
            }
        } finally {
            lock.unlock();
        }
        if (owed) {
            readyNotifier.accept(onReady);
        }
    }

    /** The writer's buffer, borrowed from the pool for as long as it writes. */
    private ByteBuffer buffer() {
        if (buffer == null) {
            buffer = BufferPool.write(heapBuffers).take();
            account.chargeFixed(buffer.capacity());
        }
        return buffer;
    }

    private void returnBuffer() {
        ByteBuffer b = buffer;
        if (b != null) {
            buffer = null;
            account.releaseFixed(b.capacity());
            BufferPool.write(heapBuffers).give(b);
        }
    }

    private void writeBatch() throws IOException {
        ByteBuffer b = buffer();
        b.clear();
        for (Frame f : batch) {
            if (FrameEncoder.tryEncode(f, b)) {
                continue;
            }
            int payload = FrameEncoder.payloadLength(f);
            int len = FrameLayout.HEADER_LENGTH + payload;
            if (len > b.remaining()) {
                writeFully(b);
                if (len > b.capacity()) {
                    writeLarge(f, b);
                    continue;
                }
            }
            FrameEncoder.encode(f, b, payload);
        }
        writeFully(b);
        batch.clear();
    }

    /**
     * A frame larger than the buffer (a large delivery or publish): encoded on the heap, then written
     * through the buffer a slice at a time, never as a heap buffer the JDK would copy into a cached
     * direct buffer of the frame's whole size.
     */
    private void writeLarge(Frame f, ByteBuffer b) throws IOException {
        byte[] whole = FrameEncoder.encode(f);
        for (int at = 0; at < whole.length; ) {
            int n = Math.min(b.capacity(), whole.length - at);
            b.clear();
            b.put(whole, at, n);
            writeFully(b);
            at += n;
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        b.flip();
        if (b.hasRemaining()) {
            connection.write(b);
        }
        b.clear();
    }
}
