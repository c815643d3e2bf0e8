package io.framewire.grpc;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One direction of a bridged call's flow control: messages come from a <em>source</em> that delivers
 * only what it was asked for ({@code request(n)} on either side) and go to a <em>sink</em> that says
 * whether it can take more without buffering ({@code isReady()}, then {@code onReady()}). More is asked
 * of the source only while the sink is ready and the gateway's memory budget has room, and at most
 * {@link #AHEAD} messages (up to {@link #MAX_AHEAD} small ones, within {@link #AHEAD_BYTES}) are ever
 * asked for and not yet handed over, so the bridge holds at most that many messages of a call beyond
 * the sink's own window; a sink that stops taking stops the source, whose own window then stops its
 * peer.
 *
 * <p>What is asked for is reserved from the call's {@link GatewayBudget.Account} before it is asked,
 * at an estimate of a message's size (the largest this direction has carried so far; until one has
 * arrived, a single message is asked for); when a message {@link #arrived arrives} its reservation
 * becomes a charge of its real size, which the caller returns when it has handed the message on. When
 * the budget is spent nothing is asked, and the budget polls again once memory comes back.
 *
 * <p>Thread-safe: {@link #poll}, {@link #arrived} and {@link #delivered} may come from any thread; the
 * source's {@code request} is called without a lock held.
 */
final class Demand {
    /**
     * Messages asked for ahead of the sink: 1 would halve a stream's throughput (every message waits for
     * the request that follows the one before); a few keep both sides busy at a bounded cost. The least
     * asked ahead, and all of it for messages of {@link #AHEAD_BYTES}{@code / AHEAD} bytes or more.
     */
    static final int AHEAD = 4;

    /**
     * Small messages are asked for up to this many bytes ahead (at most {@link #MAX_AHEAD} of them), and
     * asked again only once a quarter of that has been handed on: a stream of 64-byte messages would
     * otherwise cost a {@code request} on the source, and a round of both sides' locks, per message
     * (measured: the gateway's event loop and its backend reader contending on the Framewire call's
     * inbox for every message of a server stream).
     */
    static final long AHEAD_BYTES = 16 * 1024;

    /** The most messages ever asked for ahead of the sink. */
    static final int MAX_AHEAD = 64;

    /** The estimate of a message's size before any has arrived. */
    static final long FIRST_ESTIMATE = 1024;

    /** The least a message is counted at, however small: what holding one costs beyond its bytes. */
    static final long MIN_ESTIMATE = 64;

    private final IntConsumer source;
    private final BooleanSupplier sinkReady;
    private final GatewayBudget.Account account;
    private final Runnable wakeUp = this::poll;
    private final ReentrantLock lock = new ReentrantLock();
    /** Asked for and not yet handed to the sink. */
    private int outstanding;
    /** Asked for and not yet arrived, and the bytes reserved for them. */
    private int unarrived;
    private long reserved;
    /** The largest message seen so far (at least {@link #MIN_ESTIMATE}), 0 before the first. */
    private long largest;
    private boolean stopped;

    /** Flow control that answers to no memory budget (the proxy's, inside a Framewire server that has one). */
    Demand(IntConsumer source, BooleanSupplier sinkReady) {
        this(source, sinkReady, null);
    }

    /**
     * @param source asks the source for {@code n} more messages
     * @param sinkReady whether the sink can take a message now; when it says no, the sink's onReady must
     *        later call {@link #poll}
     * @param account the call's share of the gateway's memory budget, or null for none
     */
    Demand(IntConsumer source, BooleanSupplier sinkReady, GatewayBudget.Account account) {
        this.source = source;
        this.sinkReady = sinkReady;
        this.account = account;
    }

    /** Asks the source for more if the sink can take it: at the start, and on the sink's onReady. */
    void poll() {
        int n;
        lock.lock();
        try {
            if (stopped || outstanding >= (account == null ? AHEAD : ahead()) || !sinkReady.getAsBoolean()) {
                return;
            }
            if (account == null) {
                n = AHEAD - outstanding;
                outstanding = AHEAD;
            } else {
                int ahead = ahead();
                n = largest == 0 ? (outstanding == 0 ? 1 : 0)
                        : outstanding <= ahead - Math.max(1, ahead / 4) ? ahead - outstanding : 0;
                if (n == 0) {
                    return;
                }
                long estimate = largest == 0 ? FIRST_ESTIMATE : largest;
                if (!account.tryCharge(n * estimate, wakeUp)) {
                    return; // the budget is spent: it calls wakeUp when memory comes back
                }
                outstanding += n;
                unarrived += n;
                reserved += n * estimate;
            }
        } finally {
            lock.unlock();
        }
        source.accept(n);
    }

    /** How many messages may be asked for ahead of the sink, given the largest seen so far. Lock held. */
    private int ahead() {
        return largest == 0 ? 1 : (int) Math.max(AHEAD, Math.min(MAX_AHEAD, AHEAD_BYTES / largest));
    }

    /**
     * A message of {@code size} bytes has come from the source: its reservation becomes a charge of its
     * size, for the caller to release once the message is handed on.
     */
    void arrived(int size) {
        if (account == null) {
            return;
        }
        long share;
        lock.lock();
        try {
            share = unarrived <= 1 ? reserved : reserved / unarrived;
            reserved -= share;
            unarrived = Math.max(0, unarrived - 1);
            largest = Math.max(largest, Math.max(size, MIN_ESTIMATE));
        } finally {
            lock.unlock();
        }
        account.charge(size - share);
    }

    /** A message from the source has been handed to the sink. */
    void delivered() {
        delivered(1);
    }

    /** {@code n} messages from the source have been handed to the sink: one round of the lock for all. */
    void delivered(int n) {
        lock.lock();
        try {
            outstanding = Math.max(0, outstanding - n);
        } finally {
            lock.unlock();
        }
        poll();
    }

    /** The call is over: nothing more is asked for (what it reserved goes back when its account closes). */
    void stop() {
        lock.lock();
        try {
            stopped = true;
        } finally {
            lock.unlock();
        }
    }
}
