package io.framewire.grpc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The memory all of a gateway's calls hold together ({@code GrpcGateway.Builder.memoryBudget}): each
 * call's own state, the messages its flow control has asked for and not yet received (reserved at an
 * estimate of their size), and the messages it has received and not yet handed on (requests waiting for
 * the Framewire call, responses waiting in gRPC's outbound queue). Each call has an {@link Account};
 * closing it returns everything the call held, however the call ended.
 *
 * <p>Nothing blocks on the budget. Past seven-eighths of it new calls are refused (the rest is for the
 * calls in flight to go on); when it is spent, flow control asks for nothing more, and calls that wanted
 * to ask are told when memory comes back.
 *
 * <p>Thread-safe.
 */
final class GatewayBudget {
    /** What a call's own state costs (both calls' objects, its metadata), charged while it lives. */
    static final long CALL_BASE = 2 * 1024;

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicInteger calls = new AtomicInteger();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    GatewayBudget(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /** Bytes the calls hold or have reserved now. */
    long used() {
        return used.get();
    }

    /** Calls with an open account. */
    int calls() {
        return calls.get();
    }

    /**
     * An account for a new call, charged its {@link #CALL_BASE}; empty if the budget is seven-eighths
     * spent, and the call must be refused.
     */
    java.util.Optional<Account> admit() {
        long now;
        do {
            now = used.get();
            if (now + CALL_BASE > limit - limit / 8) {
                return java.util.Optional.empty();
            }
        } while (!used.compareAndSet(now, now + CALL_BASE));
        calls.incrementAndGet();
        return java.util.Optional.of(new Account());
    }

    /** Why a new call was refused: for its RESOURCE_EXHAUSTED status. */
    String refusal() {
        return "the gRPC gateway's memory budget of " + (limit >> 10) + " KiB is spent (" + (used.get() >> 10)
                + " KiB held by " + calls.get() + " calls); try again later";
    }

    /**
     * Takes {@code bytes} unless the budget is spent. One ask may go past the limit by its size: so
     * "room" means the same here and in {@link #whenRoom}, and a waiter woken for room always gets it.
     */
    private boolean tryTake(long bytes) {
        long now;
        do {
            now = used.get();
            if (now >= limit) {
                return false;
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    /** Runs {@code wakeUp} once when memory comes back (at once, if it already has). */
    private void whenRoom(Runnable wakeUp) {
        waiting.add(wakeUp);
        if (used.get() < limit) {
            wakeWaiting(); // came back between the failed take and the add
        }
    }

    private void returned(long bytes) {
        used.addAndGet(-bytes);
        if (!waiting.isEmpty()) {
            wakeWaiting();
        }
    }

    private void wakeWaiting() {
        Runnable r;
        while (used.get() < limit && (r = waiting.poll()) != null) {
            r.run();
        }
    }

    /**
     * One call's share. Its methods may be called from any thread; after {@link #close} they do nothing,
     * so a late event of a call that has ended cannot charge what is never returned.
     */
    final class Account {
        private final ReentrantLock lock = new ReentrantLock();
        /** Charged to the budget beyond the call's base. */
        private long held;
        private boolean closed;

        private Account() {}

        /**
         * Reserves {@code bytes} if the budget has room; otherwise runs {@code wakeUp} once it may have.
         *
         * @return whether the bytes were reserved
         */
        boolean tryCharge(long bytes, Runnable wakeUp) {
            lock.lock();
            try {
                if (closed) {
                    return false;
                }
                if (tryTake(bytes)) {
                    held += bytes;
                    return true;
                }
            } finally {
                lock.unlock();
            }
            whenRoom(wakeUp);
            return false;
        }

        /** Charges {@code bytes} (releases, if negative) whether or not they fit: memory already held. */
        void charge(long bytes) {
            if (bytes < 0) {
                release(-bytes);
                return;
            }
            lock.lock();
            try {
                if (closed || bytes == 0) {
                    return;
                }
                held += bytes;
                used.addAndGet(bytes);
            } finally {
                lock.unlock();
            }
        }

        /** Returns {@code bytes} of what this call holds. */
        void release(long bytes) {
            long back;
            lock.lock();
            try {
                if (closed || bytes <= 0) {
                    return;
                }
                back = Math.min(bytes, held);
                held -= back;
            } finally {
                lock.unlock();
            }
            returned(back);
        }

        /** The call has ended: all it held and its base go back. Idempotent. */
        void close() {
            long back;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                back = held + CALL_BASE;
                held = 0;
            } finally {
                lock.unlock();
            }
            calls.decrementAndGet();
            returned(back);
        }
    }
}
