package io.framewire.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The memory all connections of one server draw on together ({@code ServerLimits.memoryBudget}). Each
 * connection has an {@link Account}; whatever a connection holds on a peer's behalf is charged to it
 * (a frame being read, messages received and not yet consumed, responses, control frames and
 * deliveries waiting to be written, parked publishes, large-message reservations, its buffers) and
 * released when it goes.
 *
 * <p>Nothing waits on the budget: most of what is charged has arrived already, or is owed to a peer
 * that may never read it. When the connections together hold more than the budget, the one holding
 * the most is shed (closed with ERROR {@code OVERLOADED}), then the next, until they are back under
 * it, the way a kernel's OOM killer chooses; and {@link #admits} refuses new connections once the
 * budget is seven-eighths full, so that a crowd of new connections cannot push the existing ones into
 * being shed. Per-connection bounds (windows, queue bounds) keep any one connection far below the
 * budget, so the largest is almost always a peer that misbehaves. "The most" counts what the peer made
 * the connection hold, not what every connection costs anyway (its base and the buffers it borrows
 * while it reads or writes a burst): a connection that happens to be writing when the budget runs out
 * is not the one to go for that.
 *
 * <p>Cheap on hot paths: an account reserves from the budget in {@link #CHUNK}s, so charging and
 * releasing usually touch only the account's own counter.
 *
 * <p>Thread-safe.
 */
final class MemoryBudget {
    /** Granularity of reservations from the budget. */
    static final long CHUNK = 16 * 1024;

    /** What an account belongs to: told to go when it is chosen to be shed. */
    interface Owner {
        /** Closes this connection with ERROR OVERLOADED; must not block or take the caller's locks. */
        void shed(String reason);
    }

    /** An account that charges nothing: a client's sessions, which answer to no server budget. */
    static final Account UNMETERED = new MemoryBudget(Long.MAX_VALUE).new Account(null, false);

    private final long limit;
    private final AtomicLong reserved = new AtomicLong();
    private final Set<Account> accounts = ConcurrentHashMap.newKeySet();
    private final ReentrantLock shedding = new ReentrantLock();
    private final AtomicLong shedCount = new AtomicLong();

    MemoryBudget(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /** Bytes the accounts have reserved: what they hold, rounded up to chunks. */
    long used() {
        return reserved.get();
    }

    /** Connections shed so far, for tests and monitoring. */
    long shedCount() {
        return shedCount.get();
    }

    /** Whether a new connection that starts out holding {@code bytes} fits, leaving an eighth for the others to grow. */
    boolean admits(long bytes) {
        return reserved.get() + bytes <= limit - limit / 8;
    }

    /** A new, empty account for {@code owner}. */
    Account open(Owner owner) {
        Account a = new Account(owner, true);
        accounts.add(a);
        return a;
    }

    /**
     * The accounts together hold more than the budget: shed the largest until the rest fit. One thread
     * decides at a time; others meanwhile go on (what they charged counts in the next decision).
     */
    private void overloaded() {
        if (!shedding.tryLock()) {
            return;
        }
        try {
            while (true) {
                // What the connections already chosen hold now (they may still grow until they close)
                // is on its way out: only the rest must fit.
                long goingAway = 0;
                Account largest = null;
                for (Account a : accounts) {
                    if (a.shed) {
                        goingAway += a.reservation;
                    } else if (largest == null || a.score() > largest.score()) {
                        largest = a;
                    }
                }
                if (reserved.get() - goingAway <= limit || largest == null) {
                    return;
                }
                largest.shed = true;
                shedCount.incrementAndGet();
                largest.owner.shed("the server's memory budget of " + (limit >> 10) + " KiB is exhausted and this "
                        + "connection held the most (" + (largest.score() >> 10) + " KiB)");
            }
        } finally {
            shedding.unlock();
        }
    }

    /**
     * One connection's share. {@link #charge} and {@link #release} may be called from any thread, in
     * any order (a release may come before its charge is visible), and cost one atomic add unless they
     * cross a chunk.
     */
    final class Account {
        private final Owner owner;
        private final boolean metered;
        private final AtomicLong held = new AtomicLong();
        /** The part of {@link #held} every connection has: its base and the buffers it borrows. */
        private final AtomicLong fixed = new AtomicLong();
        private final ReentrantLock lock = new ReentrantLock();
        /** Reserved from the budget; changed under {@link #lock}. */
        private volatile long reservation;
        private volatile boolean closed;
        private volatile boolean shed;

        private Account(Owner owner, boolean metered) {
            this.owner = owner;
            this.metered = metered;
        }

        void charge(long bytes) {
            if (!metered || bytes <= 0) {
                return;
            }
            if (held.addAndGet(bytes) > reservation) {
                adjust();
            }
        }

        void release(long bytes) {
            if (!metered || bytes <= 0) {
                return;
            }
            if (reservation - held.addAndGet(-bytes) > 2 * CHUNK) {
                adjust();
            }
        }

        /** As {@link #charge}, for what any connection holds (its base, a borrowed buffer), not what a peer made it hold. */
        void chargeFixed(long bytes) {
            if (metered) {
                fixed.addAndGet(bytes);
                charge(bytes);
            }
        }

        void releaseFixed(long bytes) {
            if (metered) {
                fixed.addAndGet(-bytes);
                release(bytes);
            }
        }

        /** Whether charges count: false for {@link #UNMETERED} (a client's sessions). */
        boolean metered() {
            return metered;
        }

        /** Bytes this connection holds now. */
        long held() {
            return held.get();
        }

        /** What the peer made this connection hold: what decides who is shed. */
        long score() {
            return held.get() - fixed.get();
        }

        /** The connection is gone: its reservation goes back, and later charges and releases are ignored. */
        void close() {
            if (!metered) {
                return;
            }
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                reserved.addAndGet(-reservation);
                reservation = 0;
            } finally {
                lock.unlock();
            }
            accounts.remove(this);
        }

        /** Moves the reservation to what is held plus a chunk of headroom, in whole chunks. */
        private void adjust() {
            boolean over = false;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                long h = Math.max(0, held.get());
                long target = (h / CHUNK + 1) * CHUNK;
                long r = reservation;
                if (h > r || r - h > 2 * CHUNK) {
                    reservation = target;
                    over = reserved.addAndGet(target - r) > limit && target > r;
                }
            } finally {
                lock.unlock();
            }
            if (over) {
                overloaded();
            }
        }
    }
}
