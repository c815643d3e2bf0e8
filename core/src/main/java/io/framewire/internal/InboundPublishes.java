package io.framewire.internal;

import io.framewire.Status;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's PUBLISH frames on their way into the broker: publish flow control, and the rule
 * that the connection's reader never waits for another client.
 *
 * <ul>
 *   <li><b>Credit</b> ({@code PROTOCOL.md} section 4.1). A publish holds its payload's worth of the
 *       connection's publish window until it is done (queued for every subscription, dropped by their
 *       policies, or failed); then the credit goes back, half a window at a time. A peer that
 *       publishes with no credit left is closed with FLOW_CONTROL_ERROR.</li>
 *   <li><b>The fast path.</b> The reader offers each publish without waiting. Fire-and-forget
 *       publishes to plain subscriptions are deferred to the end of what one socket read brought, so
 *       each subscription takes its share with one turn of its connection's lock instead of one per
 *       message, as the subscriber side's inboxes do.</li>
 *   <li><b>Parking.</b> An offer that would have to wait (a full BLOCK subscription) is not waited for
 *       on the reader: the rest of that publish, and every later publish of this connection while
 *       anything is parked (so each subscription still gets this publisher's messages in order), go to
 *       a virtual thread of this connection that may wait, up to the block timeout. The reader goes on
 *       answering PINGs and calls; the publisher slows down because its credit is not returned.</li>
 * </ul>
 *
 * <p>Threads: {@link #onPublish} and {@link #pay} run on the connection's reader; parked work on the
 * connection's publishing thread; {@link #close} on whichever thread closes the connection.
 */
final class InboundPublishes implements Wakeups.Owed {
    /**
     * What a publish costs the server's heap beyond its payload while it waits (the decoded frame's
     * objects, the broker's shared message, list slots): charged to the memory budget with the payload,
     * since publish credit counts payload bytes only. Measured: 1.2 million publishes of 7 payload bytes
     * held behind a BLOCK subscriber took 91 MiB of heap, about 80 bytes each (HostileProcessesTest
     * a09b); rounded up.
     */
    static final int PUBLISH_OVERHEAD_BYTES = 96;

    /** Work a thread that may wait finishes, in order. */
    private interface Parked {
        void finish() throws InterruptedException;
    }

    private final ServerSession session;
    private final Broker broker;
    private final long window;
    /** Publish payload bytes received and not done. */
    private final AtomicLong outstanding = new AtomicLong();
    /** Publish payload bytes done and not yet returned as credit. */
    private final AtomicLong unreturned = new AtomicLong();

    // Reader thread only: fire-and-forget offers deferred to the end of the read.
    private final IdentityHashMap<BrokerSubscription, List<BrokerSubscription.Offered>> deferred = new IdentityHashMap<>();
    /** The subscriptions in the order they were first offered to, for a stable order of delivery. */
    private final List<BrokerSubscription> deferredOrder = new ArrayList<>();
    private long deferredBytes;
    private int deferredCount;
    /**
     * The capacity a new deferred list starts with: what the lists of the last read held, so a
     * publisher's steady stream does not grow each list from 10 by doubling on every read.
     */
    private int listHint = 16;
    private boolean metadataWarned;
    /** The topic of the last publish that passed {@link #check}: reader thread only. */
    private String checkedTopic;

    // Guarded by lock.
    private final ReentrantLock lock = new ReentrantLock();
    /** What the publishing thread has still to take; it swaps this queue for an empty one of its own. */
    private ArrayDeque<Parked> parked = new ArrayDeque<>();
    private Thread worker;
    private boolean closed;
    /** {@link #closed}, for the publishing thread between parked works without the lock. */
    private volatile boolean closing;
    /** Whether anything is parked; only this connection's reader sets it. */
    private volatile boolean anyParked;

    InboundPublishes(ServerSession session, Broker broker, long window) {
        this.session = session;
        this.broker = broker;
        this.window = window;
    }

    // --- reader thread ---

    /** A PUBLISH whose payload is {@code payloadLength} bytes. */
    void onPublish(Frame.Publish p, int payloadLength) {
        if (outstanding.get() >= window) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "a PUBLISH of " + payloadLength
                    + " bytes arrived with no publish credit left (the window is " + window + " bytes)");
        }
        outstanding.addAndGet(payloadLength);
        session.account.charge(payloadLength + PUBLISH_OVERHEAD_BYTES);
        Status refused = check(p);
        if (refused != null) {
            done(payloadLength, 1);
            if (p.ackId() != 0) {
                session.reply(new Frame.Ack(p.ackId(), refused.code(), refused.description()));
            } else if (!metadataWarned) {
                metadataWarned = true; // once per connection: a peer could make every publish log
                Session.logSafely(Level.WARNING, "dropped a publish from " + session.connection.remoteAddress()
                        + ": " + refused.description() + " (reported once per connection)", null);
            }
            return;
        }
        if (p.ackId() == 0) {
            List<BrokerSubscription> matched = broker.match(p.topic());
            if (!matched.isEmpty() && Broker.allPlain(matched)) {
                BrokerSubscription.Offered m = Broker.offered(matched, p.topic(), p.replyTo(), p.metadata(), p.data(),
                        payloadLength);
                boolean first = deferredOrder.isEmpty();
                for (int i = 0; i < matched.size(); i++) {
                    defer(matched.get(i), m);
                }
                deferredBytes += payloadLength;
                deferredCount++;
                session.wakeups.added(this, first);
                return;
            }
        }
        pay(); // this publisher's earlier messages first
        Broker.Job job = broker.resolve(p.topic(), p.replyTo(), p.metadata(), p.data(), payloadLength);
        if (anyParked) {
            park(() -> finishPublish(job, p.ackId(), payloadLength));
            return;
        }
        boolean complete;
        try {
            complete = job.run(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // offers without waiting are not interrupted; keep it anyway
            complete = true;
        }
        if (complete) {
            ended(job, p.ackId(), payloadLength, false);
        } else {
            park(() -> finishPublish(job, p.ackId(), payloadLength));
        }
    }

    private Status check(Frame.Publish p) {
        // The decoder hands the same String for the same topic bytes (FrameParser.Strings), so a
        // publisher's steady topic is checked once, not per message.
        String problem = p.topic() == checkedTopic ? null : Topics.problem(p.topic(), false);
        if (problem == null) {
            checkedTopic = p.topic();
        }
        if (problem == null && !p.replyTo().isEmpty() && Topics.problem(p.replyTo(), false) != null) {
            problem = "invalid reply-to topic '" + Topics.shortened(p.replyTo()) + "'";
        }
        if (problem != null) {
            return Status.of(StatusCode.INVALID_ARGUMENT, "cannot publish to '" + Topics.shortened(p.topic()) + "': "
                    + problem);
        }
        int md = p.metadata().encodedSize();
        int limit = session.localSettings().maxMetadataSize();
        if (md > limit) {
            return Status.of(StatusCode.RESOURCE_EXHAUSTED, "publish metadata of " + md
                    + " bytes exceeds the server's limit of " + limit + " bytes");
        }
        return null;
    }

    private void defer(BrokerSubscription s, BrokerSubscription.Offered m) {
        List<BrokerSubscription.Offered> l = deferred.get(s);
        if (l == null) {
            l = new ArrayList<>(listHint);
            deferred.put(s, l);
            deferredOrder.add(s);
        }
        l.add(m);
    }

    /**
     * Makes the deferred offers, subscription by subscription, without waiting: at the end of each
     * socket read (or every {@link Inbox#BATCH} publishes). What would have to wait is parked.
     */
    @Override
    public void pay() {
        if (deferredOrder.isEmpty()) {
            return;
        }
        List<BrokerSubscription> subs = new ArrayList<>(deferredOrder);
        List<List<BrokerSubscription.Offered>> lists = new ArrayList<>(subs.size());
        int longest = 0;
        for (BrokerSubscription s : subs) {
            List<BrokerSubscription.Offered> l = deferred.get(s);
            lists.add(l);
            longest = Math.max(longest, l.size());
        }
        listHint = Math.max(16, Math.min(longest, Inbox.BATCH));
        long bytes = deferredBytes;
        int count = deferredCount;
        deferred.clear();
        deferredOrder.clear();
        deferredBytes = 0;
        deferredCount = 0;

        int[] from = new int[subs.size()];
        if (anyParked) {
            // Earlier publishes of this connection wait on the publishing thread: these follow them
            // there as one batch, each subscription's share offered with one turn of its lock.
            park(() -> finishOffers(subs, lists, from, bytes, count));
            return;
        }
        boolean left = false;
        for (int i = 0; i < subs.size(); i++) {
            try {
                from[i] = subs.get(i).offerAll(lists.get(i), 0, false, null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                from[i] = lists.get(i).size();
            } catch (RuntimeException | Error e) {
                Session.logSafely(Level.ERROR, "offering to " + subs.get(i).pattern + " failed", e);
                from[i] = lists.get(i).size();
            }
            left |= from[i] < lists.get(i).size();
        }
        if (!left) {
            done(bytes, count);
            return;
        }
        park(() -> finishOffers(subs, lists, from, bytes, count));
    }

    /** Parked work: offers what {@link #pay} could not, waiting where BLOCK subscriptions ask for it. */
    private void finishOffers(List<BrokerSubscription> subs, List<List<BrokerSubscription.Offered>> lists, int[] from,
                              long bytes, int count) throws InterruptedException {
        for (int i = 0; i < subs.size(); i++) {
            if (from[i] < lists.get(i).size()) {
                try {
                    subs.get(i).offerAll(lists.get(i), from[i], true, null);
                } catch (RuntimeException | Error e) {
                    Session.logSafely(Level.ERROR, "offering to " + subs.get(i).pattern + " failed", e);
                }
            }
        }
        done(bytes, count);
    }

    // --- any thread ---

    /** Parked work: finishes a publish with the waits its BLOCK subscriptions ask for. */
    private void finishPublish(Broker.Job job, int ackId, int bytes) throws InterruptedException {
        job.run(true);
        ended(job, ackId, bytes, true);
    }

    private void ended(Broker.Job job, int ackId, int bytes, boolean parkedWork) {
        done(bytes, 1);
        if (ackId != 0) {
            Status st = job.status();
            Frame.Ack ack = new Frame.Ack(ackId, st.code(), st.description());
            if (parkedWork) {
                session.replyFromAnyThread(ack);
            } else {
                session.reply(ack);
            }
        }
    }

    /** {@code count} publishes of {@code bytes} payload in all are done: their memory goes, their credit comes back (half a window at a time). */
    private void done(long bytes, long count) {
        session.account.release(bytes + count * PUBLISH_OVERHEAD_BYTES);
        outstanding.addAndGet(-bytes);
        long u = unreturned.addAndGet(bytes);
        if (u >= Math.max(1, window / 2) && unreturned.compareAndSet(u, 0)) {
            session.out.owePublishCredit(u);
        }
    }

    private void park(Parked work) {
        boolean start;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            parked.add(work);
            anyParked = true;
            start = worker == null;
            if (start) {
                worker = Thread.ofVirtual().name("framewire-publishing").unstarted(this::finishParked);
            }
        } finally {
            lock.unlock();
        }
        if (start) {
            worker.start();
        }
    }

    /**
     * The publishing thread: finishes parked work in order, taking all that is parked with one turn of
     * the lock, then ends; the next park starts another.
     */
    private void finishParked() {
        ArrayDeque<Parked> batch = new ArrayDeque<>();
        while (true) {
            lock.lock();
            try {
                if (closed || parked.isEmpty()) {
                    parked.clear();
                    worker = null;
                    anyParked = false;
                    return;
                }
                ArrayDeque<Parked> swap = parked;
                parked = batch;
                batch = swap;
            } finally {
                lock.unlock();
            }
            for (Parked work; (work = batch.poll()) != null; ) {
                if (closing) {
                    return; // close() dropped the rest
                }
                try {
                    work.finish();
                } catch (InterruptedException e) {
                    return; // closed: close() dropped the rest
                } catch (Throwable t) {
                    Session.logSafely(Level.ERROR, "a publish from " + session.connection.remoteAddress() + " failed", t);
                }
            }
        }
    }

    /** The connection closed: parked work is dropped, and a publishing thread waiting on a subscription stops. */
    void close() {
        Thread w;
        lock.lock();
        try {
            closed = true;
            closing = true;
            parked.clear();
            w = worker;
        } finally {
            lock.unlock();
        }
        if (w != null) {
            w.interrupt(); // the engine's own thread, waiting in a subscription's queue, never on a channel
        }
    }
}
