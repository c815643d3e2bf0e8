package io.framewire.internal;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.GapReason;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.TopicMessage;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One subscription at the broker: its bounded queue of deliveries, which is also what the subscriber
 * connection's writer drains (within the subscriber's credit, in turn with the connection's other
 * streams), and its overflow policy. Sequence numbers count every message assigned to the
 * subscription, delivered or not; lost ones are queued as gaps in sequence order, ahead of later
 * deliveries. Everything mutable is guarded by the subscriber connection's outbound lock.
 *
 * <table>
 *   <caption>When the queue is full</caption>
 *   <tr><th>policy</th><th>what happens</th></tr>
 *   <tr><td>BLOCK</td><td>the publisher waits for room up to the block timeout (capped by the server); then the
 *       message is a gap (BLOCK_TIMEOUT)</td></tr>
 *   <tr><td>DROP_OLDEST</td><td>the oldest queued message becomes a gap (DROPPED_OLDEST), in its place</td></tr>
 *   <tr><td>DROP_NEWEST</td><td>the new message becomes a gap (DROPPED_NEWEST)</td></tr>
 *   <tr><td>DISCONNECT</td><td>the subscriber's connection is closed with SLOW_CONSUMER</td></tr>
 * </table>
 *
 * <p>"Full" counts the subscription's own bounds and the bound of all its connection's subscriptions
 * together. A message whose DELIVER would be longer than the subscriber's MAX_FRAME_SIZE is never
 * queued: it is a gap (TOO_LARGE) at once, whatever the policy.
 *
 * <p>A connection's reader offers without waiting ({@code mayWait} false): an offer that would wait
 * for room returns {@link Outcome#WOULD_BLOCK}, before taking a sequence number, and the publish is
 * finished on a thread that may wait ({@link InboundPublishes}).
 */
final class BrokerSubscription extends OutboundSource {
    /** Lost messages: a contiguous range of sequence numbers, for one reason. */
    private static final class GapEntry {
        final long first;
        long last;
        final GapReason reason;

        GapEntry(long first, long last, GapReason reason) {
            this.first = first;
            this.last = last;
            this.reason = reason;
        }
    }

    /** A DELIVER's header and sequence number. */
    private static final int DELIVER_HEADER = FrameLayout.HEADER_LENGTH + FrameLayout.DELIVER_OVERHEAD;
    /**
     * What a queued delivery costs the heap beyond its payload, counted toward the connection's bound on
     * queued deliveries and the memory budget (not toward the subscriber's own {@code max bytes}, which
     * PROTOCOL.md defines in payload bytes): the shared message's objects, its topic's string, its slot.
     * Measured: 1.42 million empty publishes queued for a creditless subscriber (one each on 1,000
     * topics) held about 120 MiB, 85 bytes each, and ran a server with a 32 MiB budget out of its
     * 128 MiB heap while each counted 11 (HostileProcessesTest a12d4); rounded up, as
     * {@link InboundPublishes#PUBLISH_OVERHEAD_BYTES}. Each subscription a message is queued for pays
     * it, so a message shared by several is over-counted: the safe side.
     */
    static final int QUEUED_DELIVERY_OVERHEAD = 96;

    /** What an offer did. */
    enum Outcome { QUEUED, DROPPED, TIMED_OUT, TOO_LARGE, DISCONNECTED, CLOSED, WOULD_BLOCK }

    /**
     * What a subscription costs its connection's memory account besides its queue: this object and the
     * index's trie nodes for its pattern (a node and a map entry per token; shared with other patterns,
     * but counted for each, which errs on the safe side). 1,024 patterns of 500 tokens once took 150 MB.
     */
    static long footprint(String pattern) {
        long tokens = 1;
        for (int i = 0; i < pattern.length(); i++) {
            if (pattern.charAt(i) == '.') {
                tokens++;
            }
        }
        return 512 + 384 * tokens + 2L * pattern.length();
    }

    final ServerSession session;
    final int id;
    final String pattern;
    /** What this subscription (not its queue) is charged to its connection's account. */
    final long footprint;
    final String queueGroup;
    final OverflowPolicy policy;
    private final int maxMessages;
    private final long maxBytes;
    private final long blockTimeoutNanos;
    /** The bound of this connection's subscriptions' queued bytes together. */
    private final long connectionMaxBytes;

    // Guarded by the subscriber's outbound lock.
    /**
     * {@link Offered} messages, shared with the other subscriptions they went to, and {@link GapEntry}s.
     * Their sequence numbers run on without a hole from {@link #headSequence}, so a message needs no
     * per-subscription object until its frame is written.
     */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long credit;
    private long nextSequence = 1;
    /** The sequence number of the queue's head: its message's, or its gap's first. */
    private long headSequence = 1;
    private int queuedMessages;
    /** Payload bytes of the queued messages: what {@link #maxBytes}, the subscriber's bound, counts. */
    private long queuedBytes;
    private boolean closed;
    /** What a DISCONNECT cut off: the gap the subscriber is told of. */
    private long lostFrom;
    private long lostTo;

    /**
     * @param maxMessages its queue's bound in messages, as asked and capped
     * @param maxBytes its queue's bound in bytes, as asked and capped
     * @param maxBlockNanos the server's cap on the block timeout
     * @param connectionMaxBytes the bound of its connection's subscriptions together
     */
    BrokerSubscription(ServerSession session, Frame.Subscribe s, int maxMessages, long maxBytes, long maxBlockNanos,
                       long connectionMaxBytes) {
        this.session = session;
        this.id = s.subscriptionId();
        this.pattern = s.pattern();
        this.footprint = footprint(s.pattern());
        this.queueGroup = s.queueGroup();
        this.policy = s.policy();
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.blockTimeoutNanos = Math.min(maxBlockNanos, Integer.toUnsignedLong(s.blockTimeoutMillis()) * 1_000_000L);
        this.connectionMaxBytes = connectionMaxBytes;
        this.credit = Integer.toUnsignedLong(s.initialCredit());
    }

    private Outbound out() {
        return session.out;
    }

    /** Whether the queue would take a message of {@code bytes} without overflowing. Lock held. */
    private boolean hasRoom(long bytes) {
        return queuedMessages < maxMessages && queuedBytes + bytes <= maxBytes
                && out().subscriptionBytesLocked() + bytes + QUEUED_DELIVERY_OVERHEAD <= connectionMaxBytes;
    }

    /** Whether the queue has room now (for choosing a queue-group member); a hint, not a promise. */
    boolean hasRoomHint(long bytes) {
        Outbound o = out();
        o.lock().lock();
        try {
            return !closed && hasRoom(bytes);
        } finally {
            o.lock().unlock();
        }
    }

    /**
     * A message offered to subscriptions: one per publish, shared by every subscription it goes to.
     * {@code size} is what it takes in a queue and in a frame: the PUBLISH payload, the DELIVER's
     * without its sequence number.
     */
    record Offered(TopicMessage message, boolean noResponders, int size) {}

    /**
     * Assigns the message a sequence number and queues it, or applies the overflow policy. With
     * {@code mayWait} a BLOCK subscription that is full waits up to its block timeout; without, that
     * is {@link Outcome#WOULD_BLOCK} and nothing changed.
     */
    Outcome offer(Offered m, boolean mayWait) throws InterruptedException {
        Outcome[] outcome = new Outcome[1];
        offerAll(List.of(m), 0, mayWait, outcome);
        return outcome[0];
    }

    /**
     * {@link #offer}s {@code messages[from..]} in order with one turn of the lock (a BLOCK wait
     * releases it meanwhile). Returns the index of the first message it did not offer: the size of the
     * list if it offered all, less if one would have had to wait without {@code mayWait}, or if the
     * subscription closed or its subscriber was cut off (then the rest go nowhere, and are done).
     *
     * @param last receives the outcome of the last offer made, if not null
     */
    int offerAll(List<Offered> messages, int from, boolean mayWait, Outcome[] last) throws InterruptedException {
        Outbound o = out();
        Outcome outcome = Outcome.CLOSED;
        int i = from;
        boolean startWriter = false;
        o.lock().lock();
        try {
            for (; i < messages.size(); i++) {
                outcome = offerLocked(messages.get(i), mayWait);
                if (outcome == Outcome.WOULD_BLOCK) {
                    break;
                }
                if (outcome == Outcome.CLOSED || outcome == Outcome.DISCONNECTED) {
                    i = messages.size();
                    break;
                }
            }
            if (outcome != Outcome.CLOSED && outcome != Outcome.DISCONNECTED) {
                o.scheduleLocked(this);
                startWriter = o.claimWriterLocked();
            }
        } finally {
            o.lock().unlock();
        }
        if (last != null) {
            last[0] = outcome;
        }
        if (outcome == Outcome.DISCONNECTED) {
            // The subscriber learns exactly what it lost before the connection closes.
            session.failConnection(io.framewire.protocol.ErrorCode.SLOW_CONSUMER, "subscription " + id + " on '" + pattern
                    + "' is full (" + maxMessages + " messages, " + maxBytes + " bytes) and its policy is DISCONNECT",
                    new Frame.Gap(id, lostFrom, lostTo, GapReason.SLOW_CONSUMER));
        } else if (startWriter) {
            o.startWriter(false);
        }
        return i;
    }

    /** One message of {@link #offerAll}, with the outbound lock held. */
    private Outcome offerLocked(Offered m, boolean mayWait) throws InterruptedException {
        int size = m.size();
        Outbound o = out();
        if (closed || session.shedding) {
            return Outcome.CLOSED; // a connection being shed for its memory is given no more
        }
        if (FrameLayout.MIN_LENGTH + FrameLayout.DELIVER_OVERHEAD + (long) size > o.peerMaxFrameSizeLocked()) {
            addGapAtTail(nextSequence++, GapReason.TOO_LARGE);
            return Outcome.TOO_LARGE;
        }
        if (!hasRoom(size) && policy == OverflowPolicy.BLOCK) {
            if (!mayWait) {
                return Outcome.WOULD_BLOCK;
            }
            // What this batch queued before must be on its way out for room to come.
            o.scheduleLocked(this);
            if (o.claimWriterLocked()) {
                o.startWriter(false);
            }
            long deadline = System.nanoTime() + blockTimeoutNanos;
            o.awaitLocked(() -> closed || hasRoom(size), deadline);
            if (closed) {
                return Outcome.CLOSED;
            }
        }
        long seq = nextSequence++;
        if (hasRoom(size)) {
            enqueueLocked(m);
            return Outcome.QUEUED;
        }
        return switch (policy) {
            case BLOCK -> {
                addGapAtTail(seq, GapReason.BLOCK_TIMEOUT);
                yield Outcome.TIMED_OUT;
            }
            case DROP_NEWEST -> {
                addGapAtTail(seq, GapReason.DROPPED_NEWEST);
                yield Outcome.DROPPED;
            }
            case DROP_OLDEST -> {
                while (queuedMessages > 0 && !hasRoom(size)) {
                    dropOldest();
                }
                if (hasRoom(size)) {
                    enqueueLocked(m);
                    yield Outcome.QUEUED;
                }
                addGapAtTail(seq, GapReason.DROPPED_OLDEST); // larger than the whole queue
                yield Outcome.DROPPED;
            }
            case DISCONNECT -> {
                lostFrom = firstQueuedSequence(seq);
                lostTo = seq;
                closed = true;
                clearLocked();
                yield Outcome.DISCONNECTED;
            }
        };
    }

    private void enqueueLocked(Offered m) {
        queue.add(m);
        queuedMessages++;
        queuedBytes += m.size();
        out().subscriptionBytesChangedLocked(m.size() + QUEUED_DELIVERY_OVERHEAD);
    }

    private void clearLocked() {
        queue.clear();
        out().subscriptionBytesChangedLocked(-(queuedBytes + (long) queuedMessages * QUEUED_DELIVERY_OVERHEAD));
        queuedMessages = 0;
        queuedBytes = 0;
    }

    /** The first sequence number still queued (a message or a gap), or {@code next} if nothing is. */
    private long firstQueuedSequence(long next) {
        return queue.isEmpty() ? next : headSequence;
    }

    private void addGapAtTail(long seq, GapReason reason) {
        if (queue.peekLast() instanceof GapEntry g && g.reason == reason && g.last == seq - 1) {
            g.last = seq;
        } else {
            queue.addLast(new GapEntry(seq, seq, reason));
        }
    }

    /**
     * Turns the oldest queued message into a gap, in its place. Only gaps can come before it, so they
     * are taken off, the new gap joins them (merged with the last if contiguous), and all go back.
     */
    private void dropOldest() {
        ArrayDeque<GapEntry> leading = new ArrayDeque<>();
        long seq = headSequence;
        while (queue.peekFirst() instanceof GapEntry g) {
            leading.addLast(g);
            queue.pollFirst();
            seq = g.last + 1;
        }
        Offered oldest = (Offered) queue.pollFirst();
        queuedMessages--;
        queuedBytes -= oldest.size();
        out().subscriptionBytesChangedLocked(-(oldest.size() + QUEUED_DELIVERY_OVERHEAD));
        GapEntry last = leading.peekLast();
        if (last != null && last.reason == GapReason.DROPPED_OLDEST && last.last == seq - 1) {
            last.last = seq;
        } else {
            leading.addLast(new GapEntry(seq, seq, GapReason.DROPPED_OLDEST));
        }
        while (!leading.isEmpty()) {
            queue.addFirst(leading.pollLast());
        }
    }

    /** The subscriber granted {@code n} more deliveries. */
    void addCredit(long n) {
        Outbound o = out();
        o.lock().lock();
        try {
            credit = Math.min(Long.MAX_VALUE / 2, credit + n);
        } finally {
            o.lock().unlock();
        }
        o.activate(this, session.mayWrite());
    }

    /** Ends the subscription: nothing more is queued or written; a blocked publisher moves on. */
    void close() {
        Outbound o = out();
        o.lock().lock();
        try {
            closed = true;
            clearLocked();
        } finally {
            o.lock().unlock();
        }
        o.signalRoom();
    }

    // --- OutboundSource, under the outbound lock ---

    @Override
    boolean isEmpty() {
        return queue.isEmpty();
    }

    @Override
    boolean sendable(long connectionWindow) {
        Object head = queue.peek();
        return head instanceof GapEntry || (head != null && credit > 0);
    }

    @Override
    long pollInto(List<Frame> batch, int dataQuantum, int maxFragment, long[] connectionWindow) {
        long moved = 0;
        while (moved < dataQuantum) {
            Object head = queue.peek();
            Frame f;
            if (head instanceof GapEntry g) {
                f = new Frame.Gap(id, g.first, g.last, g.reason);
                headSequence = g.last + 1;
            } else if (head instanceof Offered m && credit > 0) {
                f = new Frame.Deliver(id, m.noResponders(), headSequence++, m.message());
                credit--;
                queuedMessages--;
                queuedBytes -= m.size();
                out().subscriptionBytesChangedLocked(-(m.size() + QUEUED_DELIVERY_OVERHEAD));
            } else {
                break;
            }
            queue.poll();
            batch.add(f);
            moved += f instanceof Frame.Deliver d ? DELIVER_HEADER + ((Offered) head).size() : FrameEncoder.encodedLength(f);
        }
        return moved;
    }
}
