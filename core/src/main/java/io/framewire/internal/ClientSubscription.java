package io.framewire.internal;

import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Status;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A subscription on the client side. It outlives connections: on each new connection it subscribes
 * again ({@link #bind}), and a reconnect shows up as a {@link Gap.Reason#RECONNECT} gap. Sequence
 * numbers stay continuous across reconnects: the broker numbers each connection's subscription from
 * 1, and this adds the number reached before.
 *
 * <p>Deliveries wait in an {@link Inbox}, bounded by the prefetch credit granted to the broker; credit
 * flows back as the application takes messages, per connection (an "epoch"), so messages of an old
 * connection taken late do not grant credit on the new one.
 */
final class ClientSubscription implements Subscription {
    private final ClientPubSub pubsub;
    final int id;
    private final String pattern;
    private final SubscribeOptions options;
    private final Subscription.Listener listener;
    /** Guards this subscription's state and its inbox alike: the reader takes one lock per delivery. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Inbox<Delivery> inbox;

    // Guarded by lock.
    private ClientSession session;
    private int epoch;
    private long granted;
    private long received;
    private long unacked;
    private long offset;
    private long lastSequence;
    private boolean everBound;
    private boolean ended;
    private Status endStatus;
    /** The epoch of each queued message, in order: the inbox hands messages on in that order. */
    private final ArrayDeque<Integer> epochs = new ArrayDeque<>();

    ClientSubscription(ClientPubSub pubsub, int id, String pattern, SubscribeOptions options,
                       Subscription.Listener listener, SerialExecutor serial) {
        this.pubsub = pubsub;
        this.id = id;
        this.pattern = pattern;
        this.options = options;
        this.listener = listener;
        this.inbox = new Inbox<>(new Inbox.Settler<>() {
            @Override
            public void settle(Delivery d) {
                settleAll(List.of(d));
            }

            @Override
            public void settleAll(List<Delivery> items) {
                ClientSubscription.this.settleAll(items);
            }
        }, lock);
        if (listener != null) {
            inbox.push(new Inbox.Sink<>() {
                @Override
                public void onMessage(Delivery d) {
                    switch (d) {
                        case Message m -> listener.onMessage(m);
                        case Gap g -> listener.onGap(g);
                    }
                }

                @Override
                public void onFinish() {
                    // Subscriptions end by abort, with a status.
                }

                @Override
                public void onAbort(Status status) {
                    listener.onEnd(status);
                }
            }, serial, true);
        }
    }

    /** Subscribes on {@code s} (a new connection); after the first, reports the outage as a gap. */
    void bind(ClientSession s) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            if (everBound) {
                offset = lastSequence;
                inbox.add(new Gap(lastSequence, -1, Gap.Reason.RECONNECT));
            }
            everBound = true;
            session = s;
            epoch++;
            granted = options.prefetch();
            received = 0;
            unacked = 0;
        } finally {
            lock.unlock();
        }
        s.out.sendControl(new Frame.Subscribe(id, pattern, options.queueGroup(), options.overflow(), options.maxMessages(),
                options.maxBytes(), (int) options.blockTimeout().toMillis(), options.prefetch()), s.mayWrite());
    }

    /** The connection is gone: nothing more comes from it. */
    void unbind(ClientSession s) {
        lock.lock();
        try {
            if (session == s) {
                session = null;
            }
        } finally {
            lock.unlock();
        }
    }

    // --- from the connection's reader ---

    void onDeliver(ClientSession s, Frame.Deliver d) {
        Message m;
        int outcome;
        lock.lock();
        try {
            if (s != session || ended) {
                return; // in flight from a connection this subscription has left
            }
            if (++received > granted) {
                throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "the server sent more deliveries on subscription "
                        + id + " than the " + granted + " granted");
            }
            long seq = offset + d.sequence();
            lastSequence = seq;
            m = Message.of(d.topic(), d.replyTo(), d.metadata(), d.data(), seq);
            epochs.add(epoch);
            outcome = inbox.addLocked(m);
        } finally {
            lock.unlock();
        }
        inbox.afterAdd(m, outcome, s.wakeups);
    }

    void onGap(ClientSession s, Frame.Gap g) {
        Gap gap;
        lock.lock();
        try {
            if (s != session || ended) {
                return;
            }
            long first = offset + g.firstSequence();
            long last = offset + g.lastSequence();
            lastSequence = Math.max(lastSequence, last);
            gap = new Gap(first - 1, last - first + 1, Gap.Reason.valueOf(g.reason().name()));
        } finally {
            lock.unlock();
        }
        inbox.add(gap, s.wakeups);
    }

    /** A delivery without credit effect for the application (a no-responders notice): give the credit back. */
    void consumeWithoutDelivery(ClientSession s) {
        lock.lock();
        try {
            if (s != session || ended) {
                return;
            }
            if (++received > granted) {
                throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "the server sent more deliveries on subscription "
                        + id + " than the " + granted + " granted");
            }
            epochs.add(epoch);
        } finally {
            lock.unlock();
        }
        grantBack(1);
    }

    /** The application has these deliveries, or they were dropped: every message but a gap counts. */
    private void settleAll(List<Delivery> items) {
        int messages = 0;
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Gap)) {
                messages++;
            }
        }
        if (messages > 0) {
            grantBack(messages);
        }
    }

    /**
     * {@code n} deliveries are settled, oldest first: those of the current connection grant credit back,
     * half the prefetch at a time.
     */
    private void grantBack(int n) {
        long grant = 0;
        ClientSession s;
        lock.lock();
        try {
            s = session;
            for (int i = 0; i < n; i++) {
                Integer e = epochs.poll();
                if (e != null && e == epoch && s != null && !ended) {
                    unacked++;
                }
            }
            if (s == null || ended) {
                return;
            }
            if (unacked >= Math.max(1, options.prefetch() / 2)) {
                grant = unacked;
                granted += grant;
                unacked = 0;
            }
        } finally {
            lock.unlock();
        }
        if (grant > 0) {
            // A pulled subscription's credit goes back on the application's thread, in its next(), which
            // may block anyway: written by that thread itself when the connection lets it (Outbound.
            // startWriter), not by a writer thread started for one frame. A listener's callbacks run on
            // an executor of the application's choice, which must not be made to write.
            s.replyFromThisThread(new Frame.Credit(id, true, (int) grant), listener == null && s.mayWrite());
        }
    }

    /** Ends the subscription with {@code status}: a pulled subscription's next() throws it, a listener hears onEnd. */
    void end(Status status) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            ended = true;
            endStatus = status;
            session = null;
        } finally {
            lock.unlock();
        }
        inbox.abort(status, false);
    }

    // --- the API ---

    @Override
    public String pattern() {
        return pattern;
    }

    @Override
    public SubscribeOptions options() {
        return options;
    }

    @Override
    public Delivery next() {
        requirePulled();
        try {
            Delivery d = inbox.next();
            if (d == null) {
                throw Status.of(StatusCode.CANCELLED, "the subscription has ended").asException();
            }
            return d;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while waiting for a delivery").asException(e);
        }
    }

    @Override
    public Optional<Delivery> next(Duration timeout) {
        requirePulled();
        try {
            return Optional.ofNullable(inbox.next(System.nanoTime() + io.framewire.Deadline.saturatedNanos(timeout)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while waiting for a delivery").asException(e);
        }
    }

    private void requirePulled() {
        if (listener != null) {
            throw new IllegalStateException("this subscription's deliveries go to its listener");
        }
    }

    @Override
    public void unsubscribe() {
        ClientSession s;
        lock.lock();
        try {
            if (ended) {
                return;
            }
            s = session;
        } finally {
            lock.unlock();
        }
        pubsub.forget(this);
        if (s != null) {
            s.out.sendControl(new Frame.Unsubscribe(id), s.mayWrite());
        }
        end(Status.of(StatusCode.CANCELLED, "unsubscribed"));
    }

    /** The status the subscription ended with, or null while it lives. */
    Status endStatus() {
        lock.lock();
        try {
            return endStatus;
        } finally {
            lock.unlock();
        }
    }

    boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Subscription[" + id + " " + pattern + "]";
    }
}
