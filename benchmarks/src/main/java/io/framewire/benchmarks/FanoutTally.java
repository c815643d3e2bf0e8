package io.framewire.benchmarks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fan-out subscriber's count of what it received, judged by the sequence numbers the publisher put
 * in the payloads ({@link SequencedMessage}) and, for Framewire, by the gaps its subscription reported.
 *
 * <p>Written by one delivery at a time (the receiving thread, or a listener that the system calls one
 * delivery at a time), read at any moment by the thread that answers the harness. Every counter only
 * grows and each is read on its own, so a loss counted between two snapshots is exact whatever the
 * receiver did meanwhile; counters are written with release stores, which cost nothing extra on x86.
 */
final class FanoutTally {
    /** How often {@link #awaitSequence} looks again: a drain takes far longer, so finer would not help. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong lastSequence = new AtomicLong(-1);
    private final AtomicLong sequenceLost = new AtomicLong();
    private final AtomicLong disordered = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong gapLost = new AtomicLong();
    private final CountDownLatch first = new CountDownLatch(1);
    /** The sequence number expected next; -1 until the first message when the start is not known. Writer only. */
    private long next;

    /**
     * @param fromZero whether the subscriber was subscribed before the first message was published, so
     *        anything before its first message counts as lost (Framewire); otherwise counting starts at
     *        its first message (a JeroMQ SUB joins a stream already flowing)
     */
    FanoutTally(boolean fromZero) {
        this.next = fromZero ? 0 : -1;
    }

    /** Counts the message numbered {@code sequence}. */
    void message(long sequence) {
        if (next < 0) {
            next = sequence;
        }
        if (sequence >= next) {
            if (sequence > next) {
                sequenceLost.setRelease(sequenceLost.getPlain() + (sequence - next));
            }
            next = sequence + 1;
            lastSequence.setRelease(sequence);
        } else {
            disordered.setRelease(disordered.getPlain() + 1);
        }
        received.setRelease(received.getPlain() + 1);
        first.countDown();
    }

    /** Counts a gap the subscription reported: {@code lost} messages, or -1 if it could not tell how many. */
    void gap(long lost) {
        gaps.setRelease(gaps.getPlain() + 1);
        if (lost > 0) {
            gapLost.setRelease(gapLost.getPlain() + lost);
        }
    }

    FanoutCounts snapshot() {
        return new FanoutCounts(System.nanoTime(), received.get(), lastSequence.get(), sequenceLost.get(),
                disordered.get(), gaps.get(), gapLost.get());
    }

    /** Waits for the first message. */
    void awaitFirst() throws InterruptedException {
        first.await();
    }

    /** Waits until the message numbered {@code sequence} (or a later one) has been received, at most {@code timeout}. */
    void awaitSequence(long sequence, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastSequence.get() < sequence && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
