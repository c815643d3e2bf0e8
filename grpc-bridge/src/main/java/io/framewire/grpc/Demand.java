package io.framewire.grpc;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One direction of a bridged call's flow control: messages come from a <em>source</em> that delivers
 * only what it was asked for ({@code request(n)} on either side) and go to a <em>sink</em> that says
 * whether it can take more without buffering ({@code isReady()}, then {@code onReady()}). More is asked
 * of the source only while the sink is ready, and at most {@link #AHEAD} messages are ever asked for
 * and not yet handed over, so the bridge holds at most that many messages of a call beyond the sink's
 * own window; a sink that stops taking stops the source, whose own window then stops its peer.
 *
 * <p>Thread-safe: {@link #poll} and {@link #delivered} may come from any thread; the source's
 * {@code request} is called without a lock held.
 */
final class Demand {
    /**
     * Messages asked for ahead of the sink: 1 would halve a stream's throughput (every message waits for
     * the request that follows the one before); a few keep both sides busy at a bounded cost.
     */
    static final int AHEAD = 4;

    private final IntConsumer source;
    private final BooleanSupplier sinkReady;
    private final ReentrantLock lock = new ReentrantLock();
    private int outstanding;
    private boolean stopped;

    /**
     * @param source asks the source for {@code n} more messages
     * @param sinkReady whether the sink can take a message now; when it says no, the sink's onReady must
     *        later call {@link #poll}
     */
    Demand(IntConsumer source, BooleanSupplier sinkReady) {
        this.source = source;
        this.sinkReady = sinkReady;
    }

    /** Asks the source for more if the sink can take it: at the start, and on the sink's onReady. */
    void poll() {
        int n;
        lock.lock();
        try {
            if (stopped || outstanding >= AHEAD || !sinkReady.getAsBoolean()) {
                return;
            }
            n = AHEAD - outstanding;
            outstanding = AHEAD;
        } finally {
            lock.unlock();
        }
        source.accept(n);
    }

    /** A message from the source has been handed to the sink. */
    void delivered() {
        lock.lock();
        try {
            if (outstanding > 0) {
                outstanding--;
            }
        } finally {
            lock.unlock();
        }
        poll();
    }

    /** The call is over: nothing more is asked for. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
        } finally {
            lock.unlock();
        }
    }
}
