package io.framewire.internal;

import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.ProtocolException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What client and server streams share: the send queue, and on the receive side message reassembly
 * and flow-control credit. Reassembly runs on the connection's reader thread only; credit is returned
 * from whichever thread consumes a message.
 *
 * <p>Every byte that arrives on the stream is held against the connection's credit (and the server's
 * memory budget) until it is settled: when the application consumes its message, or, at the latest,
 * when the stream ends. Ending settles whatever is left, wherever its messages are (queued, taken by a
 * handler that was cancelled before it finished with them), so a cancelled stream can never keep the
 * connection's window; a message consumed after that settles nothing twice.
 */
abstract class StreamBase {
    final Session session;
    final SendQueue out;

    /** Credit the peer still has for this stream (what it may send before we grant more). */
    private final AtomicLong recvCredit;
    private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile java.util.concurrent.ScheduledFuture<?> deadlineTimer;
    /** Consumed bytes not yet returned to the peer as credit. */
    private final AtomicLong unacked = new AtomicLong();
    /** Payload bytes received whose connection credit is not settled yet. */
    private final AtomicLong held = new AtomicLong();
    /** Reservations of complete messages not consumed yet. */
    private final AtomicLong heldReservations = new AtomicLong();
    /** Complete messages not consumed yet, each charged {@link #MESSAGE_OVERHEAD_BYTES} beyond its payload. */
    private final AtomicLong heldMessages = new AtomicLong();
    /**
     * Bytes of {@link #held} whose connection credit went back early: they arrived while their message
     * waited for its reservation. Their memory is still held (and charged) until they are settled.
     */
    private final AtomicLong creditedAhead = new AtomicLong();

    // The message being received. Reader thread, except the reservation fields (guarded by lock).
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private byte[] assembling;
    private int assembled;
    private int expected = -1;
    private long discarding;
    /** Bytes reserved (or asked for) for the message in progress when it is larger than a window; else 0. */
    private long reservation;
    private boolean reserved;
    /** Payload bytes of the message in progress not yet credited while it waits for its reservation. */
    private long uncredited;

    StreamBase(Session session) {
        this.session = session;
        this.out = new SendQueue(session.peerSettings().initialStreamWindow());
        this.recvCredit = new AtomicLong(session.localSettings().initialStreamWindow());
    }

    int id() {
        return out.streamId;
    }

    /**
     * What a complete message costs the heap beyond its payload while it waits to be consumed (its
     * object, its array's header, a queue slot): charged to the memory budget with its payload, since
     * credit counts payload bytes only. Measured: 2.1 million empty messages held by handlers that never
     * read them took 57 MiB of heap, about 28 bytes each (HostileProcessesTest a09c); rounded up.
     */
    static final int MESSAGE_OVERHEAD_BYTES = 48;

    /**
     * Takes one MESSAGE fragment, checking credit and sequencing. Returns a complete message, or null
     * while a message is incomplete or being discarded.
     *
     * @throws ProtocolException for a credit or sequencing violation (a connection error)
     */
    final InboundMessage acceptFragment(Frame.Message m) {
        InboundMessage message = assemble(m);
        if (message != null && session.account.metered()) {
            heldMessages.incrementAndGet();
            session.account.charge(MESSAGE_OVERHEAD_BYTES);
            if (ended.get()) {
                settleAll(); // ended meanwhile (another thread): this message is settled too
            }
        }
        return message;
    }

    private InboundMessage assemble(Frame.Message m) {
        int payload = m.payloadLength();
        if (recvCredit.addAndGet(-payload) < 0) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "stream " + id() + " received " + payload
                    + " bytes beyond its credit");
        }
        held.addAndGet(payload);
        if (ended.get()) {
            settleAll(); // ended meanwhile (another thread): what just arrived is settled too
        }
        if (m.first()) {
            if (expected >= 0 || discarding > 0) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id()
                        + ": a new message started before the previous one was complete");
            }
            int limit = session.maxInboundMessageSize();
            if (m.messageLength() > limit) {
                discarding = m.messageLength() - m.length();
                consumed(payload);
                onMessageTooLarge(m.messageLength(), limit);
                return null;
            }
            if (m.length() == m.messageLength()) {
                // The common case: a whole message in one frame. The decoder allocated exactly its bytes.
                byte[] whole = m.offset() == 0 && m.length() == m.data().length ? m.data()
                        : Arrays.copyOfRange(m.data(), m.offset(), m.offset() + m.length());
                return InboundMessage.ordinary(whole);
            }
            expected = m.messageLength();
            // Grow with what arrives rather than trust the announced length: memory follows credit.
            assembling = new byte[Math.min(expected, Math.max(m.length(), 4096))];
            assembled = 0;
            long wire = (long) FrameLayout.MESSAGE_LENGTH_PREFIX + expected;
            if (wire > session.localSettings().initialStreamWindow()) {
                // Larger than a window: it can only arrive if credit flows before it is complete.
                reserve(wire);
            }
        } else if (discarding > 0) {
            discarding -= m.length();
            if (discarding < 0) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id()
                        + ": more message bytes than the message length announced");
            }
            consumed(payload);
            return null;
        } else if (expected < 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id()
                    + ": a MESSAGE continuation without a message in progress");
        }
        if (assembled + m.length() > expected) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id()
                    + ": more message bytes than the message length announced (" + expected + ")");
        }
        if (assembled + m.length() > assembling.length) {
            // A reserved message's whole length is already accounted for: allocate it once rather than
            // copy it over and over while doubling (which stalls this reader for tens of milliseconds
            // on a 64 MiB message). Otherwise grow to exactly what has arrived: the stream's window
            // bounds it, so the copies are few, and the memory is what the bytes that arrived were
            // charged for (doubling once held twice that, uncounted, for each waiting stream).
            int capacity = isReserved() ? expected : assembled + m.length();
            assembling = Arrays.copyOf(assembling, capacity);
        }
        System.arraycopy(m.data(), m.offset(), assembling, assembled, m.length());
        assembled += m.length();
        long settled = creditArrival(payload);
        if (assembled < expected) {
            return null;
        }
        byte[] msg = assembling;
        assembling = null;
        expected = -1;
        if (settled > 0) {
            heldReservations.addAndGet(settled);
            if (ended.get()) {
                settleAll();
            }
        }
        return new InboundMessage(msg, settled);
    }

    private void reserve(long bytes) {
        lock.lock();
        try {
            reservation = bytes;
            reserved = false;
            uncredited = 0;
        } finally {
            lock.unlock();
        }
        if (session.messageBudget().reserveOrWait(this, bytes)) {
            reservationGranted();
        }
    }

    /**
     * Settles a fragment of the message in progress: a reserved message's credit flows back now; one
     * waiting for its reservation keeps its bytes uncredited. Returns the reservation the finished
     * message carries (0 for an ordinary message, whose credit flows back when it is consumed).
     */
    private long creditArrival(int payload) {
        long r;
        boolean creditNow;
        boolean waiting = false;
        lock.lock();
        try {
            r = reservation;
            creditNow = r > 0 && reserved;
            if (r > 0 && !reserved) {
                uncredited += payload;
                waiting = true;
            }
            if (assembled == expected) {
                reservation = 0;
            }
        } finally {
            lock.unlock();
        }
        if (creditNow) {
            consumed(payload);
        } else if (waiting) {
            // Its stream credit stays out (so this stream's sender stops at its window), but its
            // connection credit goes back: streams waiting for reservations must never hold the whole
            // connection window, or the streams that were granted one could not finish, and nothing
            // would be released (40 concurrent 4 MB calls once deadlocked a connection that way). The
            // bytes stay charged to the memory budget meanwhile.
            creditedAhead.addAndGet(payload);
            session.returnConnectionCredit(payload);
        }
        return r;
    }

    private boolean isReserved() {
        lock.lock();
        try {
            return reserved;
        } finally {
            lock.unlock();
        }
    }

    /** The reservation asked for the message in progress (for the budget's queue). */
    final long pendingReservation() {
        lock.lock();
        try {
            return reservation;
        } finally {
            lock.unlock();
        }
    }

    /** The budget granted the reservation: credit what has arrived so far, and from now on as it arrives. */
    final void reservationGranted() {
        long owed;
        lock.lock();
        try {
            reserved = true;
            owed = uncredited;
            uncredited = 0;
        } finally {
            lock.unlock();
        }
        if (owed > 0) {
            consumed((int) owed);
        }
    }

    /**
     * The application consumed {@code message}: return its credit to the peer (in batches of half a
     * window), or release its reservation. Any thread. After the stream ended this settles nothing:
     * the end did.
     */
    final void consumed(InboundMessage message) {
        releaseMessages(1);
        if (message.reservation() > 0) {
            long r = take(heldReservations, message.reservation());
            if (r > 0) {
                session.messageBudget().release(r);
            }
        } else {
            consumed(FrameLayout.MESSAGE_LENGTH_PREFIX + message.data().length);
        }
    }

    /**
     * Settles what the application took together, as {@link #consumed(InboundMessage)} would one by
     * one: the ordinary messages' bytes in one settlement, so a flood of small messages costs the
     * consuming thread one turn of this stream's counters (which the reader writes for every message)
     * per batch rather than per message.
     */
    final void consumedAll(List<InboundMessage> messages) {
        long bytes = 0;
        int ordinary = 0;
        for (InboundMessage m : messages) {
            if (m.reservation() > 0) {
                consumed(m);
            } else {
                bytes += FrameLayout.MESSAGE_LENGTH_PREFIX + m.data().length;
                ordinary++;
            }
        }
        releaseMessages(ordinary);
        if (bytes > 0) {
            settle(bytes, true);
        }
    }

    /** Settles the inbox's items: each batch the application took in one settlement ({@link #consumedAll}). */
    final Inbox.Settler<InboundMessage> settler() {
        return new Inbox.Settler<>() {
            @Override
            public void settle(InboundMessage item) {
                consumed(item);
            }

            @Override
            public void settleAll(List<InboundMessage> items) {
                consumedAll(items);
            }
        };
    }

    /** Settles everything this stream still holds: called once it has ended. */
    private void settleAll() {
        long h = held.getAndSet(0);
        if (h > 0) {
            long ahead = Math.min(h, creditedAhead.getAndSet(0));
            session.connectionConsumed(h - ahead);
            session.account.release(ahead);
        }
        long r = heldReservations.getAndSet(0);
        if (r > 0) {
            session.messageBudget().release(r);
        }
        long n = heldMessages.getAndSet(0);
        if (n > 0) {
            session.account.release(n * MESSAGE_OVERHEAD_BYTES);
        }
    }

    /** {@code n} messages were consumed (or handed over): their overhead is no longer charged. */
    private void releaseMessages(int n) {
        long t = take(heldMessages, n);
        if (t > 0) {
            session.account.release(t * MESSAGE_OVERHEAD_BYTES);
        }
    }

    /** Takes up to {@code n} from {@code counter}, never below 0; returns what it took. */
    private static long take(AtomicLong counter, long n) {
        while (true) {
            long have = counter.get();
            long t = Math.min(have, n);
            if (t <= 0 || counter.compareAndSet(have, have - t)) {
                return Math.max(0, t);
            }
        }
    }

    /** The stream has ended: give back a reservation held or awaited by a message that will never finish. */
    final void releaseReservation() {
        long r;
        boolean held;
        lock.lock();
        try {
            r = reservation;
            held = reserved;
            reservation = 0;
            reserved = false;
            uncredited = 0;
        } finally {
            lock.unlock();
        }
        if (r > 0) {
            if (held) {
                session.messageBudget().release(r);
            } else {
                session.messageBudget().forget(this);
            }
        }
    }

    /**
     * A message's credit goes back now, but its memory stays charged to the connection until the caller,
     * which holds on to the message, releases the bytes this returns. For a handler that takes its
     * request before it runs. Not for a message that carries a reservation.
     */
    final long creditBackKeepingMemory(InboundMessage message) {
        releaseMessages(1); // the handler holds its bytes, which stay charged, not the message
        return settle(FrameLayout.MESSAGE_LENGTH_PREFIX + message.data().length, false);
    }

    private void consumed(int payloadBytes) {
        settle(payloadBytes, true);
    }

    /** Settles up to {@code payloadBytes} held: credit back, and their memory with {@code releaseMemory}. Returns what it settled. */
    private long settle(long payloadBytes, boolean releaseMemory) {
        long settled = take(held, payloadBytes);
        if (settled <= 0) {
            return 0;
        }
        long ahead = take(creditedAhead, settled);
        session.returnConnectionCredit(settled - ahead);
        if (releaseMemory) {
            session.account.release(settled);
        }
        long threshold = Math.max(1, session.localSettings().initialStreamWindow() / 2);
        long u = unacked.addAndGet(settled);
        if (u >= threshold && unacked.compareAndSet(u, 0)) {
            recvCredit.addAndGet(u);
            if (wantsMoreMessages()) {
                session.out.oweStreamCredit(out, u);
            }
        }
        return settled;
    }

    /** Claims the end of the stream: true for the one caller that ends it. Stops its timer and gives back its reservation. */
    final boolean markEnded() {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        java.util.concurrent.ScheduledFuture<?> t = deadlineTimer;
        if (t != null) {
            t.cancel(false);
        }
        releaseReservation();
        settleAll();
        return true;
    }

    final boolean isEnded() {
        return ended.get();
    }

    /** Runs {@code onExpiry} on the timer thread once {@code nanos} have passed, unless the stream ends first. */
    final void armTimer(long nanos, Runnable onExpiry) {
        deadlineTimer = Timers.schedule(onExpiry, Math.max(0, nanos), java.util.concurrent.TimeUnit.NANOSECONDS);
        if (ended.get()) {
            deadlineTimer.cancel(false);
        }
    }

    /** A complete message arrived (reader thread). */
    abstract void onInboundMessage(InboundMessage message);

    /** Whether the peer may still send messages on this stream (else credit is not worth sending). */
    abstract boolean wantsMoreMessages();

    /** A message above the maximum arrived: end the call with RESOURCE_EXHAUSTED naming both sizes. */
    abstract void onMessageTooLarge(long size, int limit);

    /** The connection is gone; end the stream with {@code status}. */
    abstract void onSessionClosed(io.framewire.Status status);
}
