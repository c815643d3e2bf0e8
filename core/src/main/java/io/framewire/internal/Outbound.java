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
 * <p>Frames queue here, per stream ({@link SendQueue}) and for the connection (pings, credit, pub/sub),
 * and one writer at a time drains them: connection frames first, then the streams round-robin, one
 * fragment of at most 64 KiB each per turn, so a large transfer never holds a small call behind it.
 * The writer encodes a batch of frames into one buffer and writes it with one system call, so under
 * load many small frames cost one write.
 *
 * <p>Who writes: a thread that queues a frame while no writer is active becomes the writer itself
 * (no thread hop for an idle connection), and drains a few batches before handing the rest to a fresh
 * virtual thread so no caller is held hostage by other callers' data. A thread that must never block on
 * the socket (the connection's reader, timers) always hands off: a reader blocked in a write could
 * deadlock with a peer doing the same.
 *
 * <p>The queue is bounded in bytes: {@link #awaitRoomLocked} blocks senders while it is full. Connection
 * frames bypass the bound but are capped in number, which stops a peer that floods PINGs without
 * reading its PONGs.
 */
final class Outbound {
    /** Bytes one batch may hold before it is written. */
    static final int BATCH_BYTES = 128 * 1024;
    /** Batches a calling thread writes before it hands the writing to a virtual thread. */
    private static final int INLINE_BATCHES = 2;
    /** Connection frames that may wait unwritten before the peer is judged abusive. */
    static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<Frame> control = new ArrayDeque<>();
    private final ArrayDeque<OutboundSource> ready = new ArrayDeque<>();
    private final List<OutboundSource> waitingForConnectionCredit = new ArrayList<>();
    /** Streams whose async senders want to hear onReady. */
    private final List<SendQueue> readyWaiters = new ArrayList<>();
    /** Streams that have ended but still have frames to write: credit for them must still find them. */
    private final java.util.Map<Integer, SendQueue> finishing = new java.util.HashMap<>();
    private final long maxQueuedBytes;
    private final Consumer<Throwable> onWriteFailure;
    private final Consumer<Runnable> readyNotifier;

    // Guarded by lock.
    private final long[] connectionWindow = new long[1];
    private long queuedBytes;
    private int maxFragment;
    private boolean writing;
    private boolean closed;
    private boolean closeAfterFlush;

    // Owned by the current writer.
    private final List<Frame> batch = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BATCH_BYTES + 64 * 1024);

    /** Nanos of the last completed write, for heartbeats. */
    volatile long lastWriteNanos = System.nanoTime();

    /**
     * @param onWriteFailure told once when a write fails, on the writing thread
     * @param readyNotifier runs a stream's onReady callback (off the lock, off the writer's thread)
     */
    Outbound(Connection connection, long maxQueuedBytes, Consumer<Throwable> onWriteFailure,
             Consumer<Runnable> readyNotifier) {
        this.connection = connection;
        this.maxQueuedBytes = maxQueuedBytes;
        this.onWriteFailure = onWriteFailure;
        this.readyNotifier = readyNotifier;
        this.connectionWindow[0] = io.framewire.protocol.Setting.CONNECTION_WINDOW.defaultValue();
        this.maxFragment = FrameLayout.MAX_FRAGMENT_PAYLOAD;
    }

    /** Applies the peer's settings once its HELLO has arrived. */
    void peerSettings(long connectionWindow, int peerMaxFrameSize) {
        lock.lock();
        try {
            this.connectionWindow[0] = connectionWindow;
            this.maxFragment = Math.min(FrameLayout.MAX_FRAGMENT_PAYLOAD, peerMaxFrameSize - FrameLayout.MIN_LENGTH);
        } finally {
            lock.unlock();
        }
    }

    ReentrantLock lock() {
        return lock;
    }

    // --- queueing ---

    /**
     * Queues a connection-level frame and makes sure it is written.
     *
     * @param mayWrite whether the calling thread may block writing to the socket
     * @return false if the connection is closed or too many connection frames wait already
     */
    boolean sendControl(Frame frame, boolean mayWrite) {
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return false;
            }
            if (control.size() >= MAX_QUEUED_CONTROL_FRAMES) {
                return false;
            }
            control.add(frame);
            queuedBytes += FrameEncoder.encodedLength(frame);
        } finally {
            lock.unlock();
        }
        flush(mayWrite);
        return true;
    }

    /**
     * Queues a stream's frame or message under the lock (the caller holds it), scheduling the stream.
     * The caller calls {@link #flush} after releasing the lock.
     */
    boolean enqueueLocked(SendQueue q, Frame frameOrNull, byte[] messageOrNull) {
        if (closed || closeAfterFlush || q.discarded) {
            return false;
        }
        long before = q.queuedBytes;
        if (frameOrNull != null) {
            q.addFrame(frameOrNull);
        } else {
            q.addMessage(messageOrNull);
        }
        queuedBytes += q.queuedBytes - before;
        scheduleLocked(q);
        return true;
    }

    /**
     * Marks the stream ended (the caller holds the lock): nothing more may be queued, and what is
     * queued still goes out, as credit allows.
     */
    void endLocked(SendQueue q) {
        q.discarded = true;
        readyWaiters.remove(q);
        if (!q.isEmpty()) {
            finishing.put(q.streamId, q);
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
        boolean wrote;
        lock.lock();
        try {
            if (q.discarded) {
                return;
            }
            queuedBytes -= q.clear();
            finishing.remove(q.streamId);
            wrote = q.opened || last instanceof Frame.Status;
            if (wrote && last != null && !closed) {
                q.addFrame(last);
                queuedBytes += q.queuedBytes;
                scheduleLocked(q);
            }
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

    /** Whether a sender could queue on this stream now without waiting; if not, onReady fires later. */
    boolean isReady(SendQueue q, long streamThreshold) {
        lock.lock();
        try {
            boolean ready = !closed && !q.discarded && q.queuedBytes < streamThreshold && queuedBytes < maxQueuedBytes;
            if (!ready) {
                q.readyWanted = true;
            }
            return ready;
        } finally {
            lock.unlock();
        }
    }

    // --- credit ---

    /** The peer granted stream credit. Returns false if the window would overflow 2^31-1. */
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

    void scheduleLocked(OutboundSource q) {
        if (!q.scheduled && !q.isEmpty()) {
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
        finishing.remove(q.streamId);
    }

    // --- closing ---

    /**
     * Writes {@code last} (an ERROR or GOAWAY) after dropping everything else, then closes the
     * connection. Gives up and closes after {@code graceMillis} if the peer does not read.
     */
    void closeAfter(Frame last, long graceMillis) {
        closeAfter(graceMillis, last);
    }

    /** As {@link #closeAfter(Frame, long)}, writing {@code lastFrames} in order. */
    void closeAfter(long graceMillis, Frame... lastFrames) {
        lock.lock();
        try {
            if (closed || closeAfterFlush) {
                return;
            }
            for (OutboundSource q : ready) {
                q.scheduled = false;
                if (q instanceof SendQueue s) {
                    s.clear();
                }
            }
            ready.clear();
            waitingForConnectionCredit.clear();
            control.clear();
            queuedBytes = 0;
            for (Frame f : lastFrames) {
                control.add(f);
                queuedBytes += FrameEncoder.encodedLength(f);
            }
            closeAfterFlush = true;
            room.signalAll();
        } finally {
            lock.unlock();
        }
        Timers.schedule(this::closeNow, graceMillis, TimeUnit.MILLISECONDS);
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
            Timers.schedule(this::closeNow, graceMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Closes the connection now; queued frames are dropped. Idempotent. */
    void closeNow() {
        lock.lock();
        try {
            if (closed) {
                // Possibly only the sending side was shut (a lingering close): finish it.
                connection.close();
                return;
            }
            closed = true;
            control.clear();
            for (OutboundSource q : ready) {
                q.scheduled = false;
                if (q instanceof SendQueue s) {
                    s.clear();
                }
            }
            ready.clear();
            waitingForConnectionCredit.clear();
            finishing.clear();
            queuedBytes = 0;
            room.signalAll();
        } finally {
            lock.unlock();
        }
        connection.close();
    }

    /** Bytes queued against the bound; for tests. */
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
     * Makes sure queued frames get written: becomes the writer if nobody is and the caller may block,
     * otherwise hands the writing to a new virtual thread.
     */
    void flush(boolean mayWrite) {
        boolean claimed;
        lock.lock();
        try {
            claimed = claimWriterLocked();
        } finally {
            lock.unlock();
        }
        if (claimed) {
            startWriter(mayWrite);
        }
    }

    /**
     * With the lock held, typically right after queueing: whether the caller must start a writer
     * ({@link #startWriter}, after releasing the lock), because something is queued and nobody writes.
     * A hot sender thereby takes the lock once per message rather than twice: when a writer is active it
     * is sure to see what was just queued, since it only stops after finding the queues empty under the lock.
     */
    boolean claimWriterLocked() {
        if (writing || closed || (control.isEmpty() && ready.isEmpty())) {
            return false;
        }
        writing = true;
        return true;
    }

    /** Runs the writer that {@link #claimWriterLocked} claimed: on this thread if it may block, else on a new virtual thread. */
    void startWriter(boolean mayWrite) {
        if (mayWrite) {
            drain(INLINE_BATCHES);
        } else {
            Thread.ofVirtual().name("framewire-writer").start(() -> drain(Integer.MAX_VALUE));
        }
    }

    /** Runs as the one writer: writes up to {@code maxBatches} batches, then hands off or stops. */
    private void drain(int maxBatches) {
        for (int n = 0; ; n++) {
            List<Runnable> readyCallbacks = null;
            boolean last;
            lock.lock();
            try {
                if (n == maxBatches) {
                    // Enough for this caller; a virtual thread takes over if anything is left.
                    if (!closed && (!control.isEmpty() || !ready.isEmpty())) {
                        Thread.ofVirtual().name("framewire-writer").start(() -> drain(Integer.MAX_VALUE));
                    } else {
                        writing = false;
                    }
                    return;
                }
                batch.clear();
                long released = fillBatchLocked();
                if (batch.isEmpty() || closed) {
                    writing = false;
                    return;
                }
                queuedBytes -= released;
                last = closeAfterFlush && control.isEmpty() && ready.isEmpty();
                readyCallbacks = collectReadyLocked();
                room.signalAll();
            } finally {
                lock.unlock();
            }
            if (readyCallbacks != null) {
                readyCallbacks.forEach(readyNotifier);
            }
            try {
                writeBatch();
                lastWriteNanos = System.nanoTime();
            } catch (IOException | RuntimeException e) {
                lock.lock();
                try {
                    writing = false;
                } finally {
                    lock.unlock();
                }
                closeNow();
                onWriteFailure.accept(e);
                return;
            }
            if (last) {
                // The final frame (an ERROR or GOAWAY) is out: stop sending but keep the receiving side
                // open, so the peer reads it instead of a reset; the reader closes once the peer has
                // closed too, or the grace timer does.
                lock.lock();
                try {
                    writing = false;
                    closed = true;
                    room.signalAll();
                } finally {
                    lock.unlock();
                }
                try {
                    connection.shutdownOutput();
                } catch (IOException | RuntimeException e) {
                    connection.close();
                }
                return;
            }
        }
    }

    /** Moves up to a batch of frames into {@link #batch}; returns the bytes that leave the queue's bound. */
    private long fillBatchLocked() {
        long moved = 0;
        long released = 0;
        int budget = BATCH_BYTES;
        while (!control.isEmpty() && moved < budget) {
            Frame f = control.poll();
            batch.add(f);
            int n = FrameEncoder.encodedLength(f);
            moved += n;
            released += n;
        }
        // Each turn moves at least one frame or drops the stream from the ring, so this ends.
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
        lock.lock();
        try {
            q.readyThreshold = threshold;
            q.onReady = onReady;
            readyWaiters.add(q);
        } finally {
            lock.unlock();
        }
    }

    private void writeBatch() throws IOException {
        ByteBuffer b = buffer;
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
                    ByteBuffer big = ByteBuffer.allocate(len);
                    FrameEncoder.encode(f, big, payload);
                    big.flip();
                    connection.write(big);
                    continue;
                }
            }
            FrameEncoder.encode(f, b, payload);
        }
        writeFully(b);
        batch.clear();
    }

    private void writeFully(ByteBuffer b) throws IOException {
        b.flip();
        if (b.hasRemaining()) {
            connection.write(b);
        }
        b.clear();
    }
}
