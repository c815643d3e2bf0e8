package io.framewire.benchmarks;

import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.protocol.OverflowPolicy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Checks one subscription of the load test, one delivery at a time, against what its topic's only
 * publisher sent ({@link PubSubLoad#message}): every message carries the publisher's sequence number,
 * from 0, and the subscriber subscribed before the first one, so message number {@code n} of the
 * subscription (numbered from 1) must carry {@code n - 1}, and the numbers must follow each other
 * except where a {@link Gap} says exactly how many were lost.
 *
 * <p>Under BLOCK any loss is an error ({@code LOST_UNDER_BLOCK}); under DROP_OLDEST a
 * {@code DROPPED_OLDEST} gap is counted, not an error, but a hole no gap accounts for is
 * ({@code SILENT_LOSS}). Errors and delivery latencies (publish to receipt, both in this JVM) go to
 * the policy's {@link OperationStats}.
 *
 * <p>Written by one delivery at a time (a pulling thread, or a listener the client calls one delivery
 * at a time); {@link #lastSent} and the counters are read by the thread that drains.
 */
final class SubscriberCheck {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final String name;
    private final OverflowPolicy policy;
    private final int size;
    private final OperationStats deliveries;
    private final AtomicLong lastSent = new AtomicLong(-1);
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** The subscription's sequence number expected next, or -1 after a gap of unknown size. Writer only. */
    private long next = 1;

    SubscriberCheck(String name, OverflowPolicy policy, int size, OperationStats deliveries) {
        this.name = name;
        this.policy = policy;
        this.size = size;
        this.deliveries = deliveries;
    }

    String name() {
        return name;
    }

    OverflowPolicy policy() {
        return policy;
    }

    void message(Message m) {
        long now = System.nanoTime();
        byte[] data = m.data();
        long sent;
        try {
            sent = SequencedMessage.sequence(data, 0, data.length, size);
        } catch (IllegalStateException e) {
            deliveries.error("WRONG_MESSAGE", name + ": " + e.getMessage());
            return;
        }
        if (m.sequence() != sent + 1) {
            deliveries.error("SEQUENCE_MISMATCH", name + ": delivery #" + m.sequence() + " carries message " + sent);
        }
        if (next >= 0 && m.sequence() > next) {
            deliveries.error(policy == OverflowPolicy.BLOCK ? "LOST_UNDER_BLOCK" : "SILENT_LOSS",
                    name + ": " + (m.sequence() - next) + " deliveries missing before #" + m.sequence() + ", no gap");
        } else if (m.sequence() < next) {
            deliveries.error("DISORDERED", name + ": delivery #" + m.sequence() + " after #" + (next - 1));
        }
        next = Math.max(next, m.sequence() + 1);
        received.incrementAndGet();
        lastSent.set(sent);
        deliveries.ok(now - PubSubLoad.sentNanos(data));
    }

    void gap(Gap g) {
        gaps.incrementAndGet();
        if (policy == OverflowPolicy.BLOCK) {
            deliveries.error("LOST_UNDER_BLOCK", name + ": " + g);
        } else if (g.reason() != Gap.Reason.DROPPED_OLDEST) {
            deliveries.error("GAP_" + g.reason(), name + ": " + g);
        }
        if (next >= 0 && g.afterSequence() + 1 != next) {
            deliveries.error("SEQUENCE_MISMATCH", name + ": " + g + " where #" + next + " was expected");
        }
        if (g.lostCount() >= 0) {
            dropped.addAndGet(g.lostCount());
            next = g.afterSequence() + g.lostCount() + 1;
        } else {
            next = -1; // a reconnect: numbering goes on from an unknown point (an error already counted)
        }
    }

    /** The subscription ended though the load test did not end it. */
    void endedEarly(String status) {
        deliveries.error("SUBSCRIPTION_ENDED", name + ": " + status);
    }

    /** The publisher's last message did not arrive in time. */
    void notDrained(String what) {
        deliveries.error("NOT_DRAINED", name + ": " + what);
    }

    /** Waits until the publisher's message {@code last} has arrived, until {@code deadlineNanos}; true if it did. */
    boolean awaitSent(long last, long deadlineNanos) {
        while (lastSent.get() < last) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    /** The counts once drained: everything up to and including the publisher's message {@code last}. */
    Summary summary(long last) {
        return new Summary(name, policy, last + 1, received.get(), gaps.get(), dropped.get(), lastSent.get() >= last);
    }

    /**
     * @param published messages the topic's publisher published, the last one acknowledged
     * @param received messages this subscription received
     * @param gaps gaps it reported
     * @param dropped messages its gaps said were lost
     * @param drained whether the last message arrived in time
     */
    record Summary(String name, OverflowPolicy policy, long published, long received, long gaps, long dropped,
                   boolean drained) {
        /** Every message arrived (under BLOCK), or was either received or reported lost in a gap (DROP_OLDEST). */
        boolean complete() {
            return drained && received + dropped == published && (policy != OverflowPolicy.BLOCK || dropped == 0);
        }
    }
}
