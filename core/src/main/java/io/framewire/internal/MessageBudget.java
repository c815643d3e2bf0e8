package io.framewire.internal;

import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per-connection memory for messages larger than a stream window. Such a message can only arrive if
 * its receiver returns credit before the message is complete, so it first reserves its whole length
 * here. Reservations are granted first come, first served, and each covers a whole message, so a
 * granted stream can always finish and stalled streams cannot deadlock one another; a peer that opens
 * many huge messages at once waits in the queue instead of costing memory.
 */
final class MessageBudget {
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<StreamBase> waiting = new ArrayDeque<>();
    private final long capacity;
    private final MemoryBudget.Account account;
    private long used;

    /** @param account what granted reservations are charged to: a message's memory, until it is consumed */
    MessageBudget(long capacity, MemoryBudget.Account account) {
        this.capacity = capacity;
        this.account = account;
    }

    /** Reserves {@code bytes} for {@code stream} now, or queues it and returns false. */
    boolean reserveOrWait(StreamBase stream, long bytes) {
        lock.lock();
        try {
            if (waiting.isEmpty() && used + bytes <= capacity) {
                used += bytes;
                account.charge(bytes);
                return true;
            }
            waiting.add(stream);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Gives {@code bytes} back and grants queued reservations that now fit, in order. */
    void release(long bytes) {
        StreamBase granted;
        while (true) {
            lock.lock();
            try {
                if (bytes > 0) {
                    used -= bytes;
                    account.release(bytes);
                    bytes = 0;
                }
                StreamBase next = waiting.peek();
                if (next == null || used + next.pendingReservation() > capacity) {
                    return;
                }
                waiting.poll();
                used += next.pendingReservation();
                account.charge(next.pendingReservation());
                granted = next;
            } finally {
                lock.unlock();
            }
            granted.reservationGranted();
        }
    }

    /** A stream that ended while waiting leaves the queue. */
    void forget(StreamBase stream) {
        lock.lock();
        try {
            waiting.remove(stream);
        } finally {
            lock.unlock();
        }
        release(0);
    }
}
