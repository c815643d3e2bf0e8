package io.framewire.transport.tcp.hostile;

import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.testing.RawPeer;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A hostile peer that keeps exactly to the server's flow control, so that what it achieves is what
 * the protocol allows: a reader thread takes the server's CREDIT frames (and counts its STATUS frames
 * by code) while the attack sends only what it has credit for. It grants the server nothing.
 */
final class CreditedPeer implements AutoCloseable {
    private final RawPeer peer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition credited = lock.newCondition();
    private final Map<Integer, Long> streamCredit = new HashMap<>();
    private final Map<StatusCode, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final long initialStreamWindow;
    private long connectionCredit;
    /** CREDIT frames taken so far, for a sender that waits for any change. */
    private long grants;
    private volatile ErrorCode error;
    private volatile boolean closed;

    /** @param serverSettings the windows the server announced (this suite's servers keep the defaults) */
    CreditedPeer(RawPeer peer, Settings serverSettings) {
        this.peer = peer;
        this.connectionCredit = serverSettings.connectionWindow();
        this.initialStreamWindow = serverSettings.initialStreamWindow();
        Thread.startVirtualThread(this::read);
    }

    private void read() {
        try {
            for (Optional<Frame> f = peer.readFrame(); f.isPresent(); f = peer.readFrame()) {
                switch (f.get()) {
                    case Frame.Credit c when c.kind() == Frame.Credit.Kind.WINDOW -> {
                        lock.lock();
                        try {
                            if (c.streamId() == 0) {
                                connectionCredit += c.increment();
                            } else {
                                streamCredit.merge(c.streamId(), (long) c.increment(), Long::sum);
                            }
                            grants++;
                            credited.signalAll();
                        } finally {
                            lock.unlock();
                        }
                    }
                    case Frame.Status s -> statuses.computeIfAbsent(s.code(), k -> new AtomicLong()).incrementAndGet();
                    case Frame.Error e -> error = e.code();
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed
        } finally {
            lock.lock();
            try {
                closed = true;
                credited.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    RawPeer peer() {
        return peer;
    }

    /**
     * Waits until {@code bytes} of MESSAGE payload may be sent on {@code stream} and takes that credit;
     * false if it does not come within {@code millis} (the server holds the attack) or the connection
     * closed.
     */
    boolean takeCredit(int stream, long bytes, long millis) throws InterruptedException {
        lock.lock();
        try {
            if (!awaitLocked(() -> connectionCredit >= bytes
                    && streamCredit.getOrDefault(stream, initialStreamWindow) >= bytes, millis)) {
                return false;
            }
            connectionCredit -= bytes;
            streamCredit.merge(stream, initialStreamWindow - bytes, (had, d) -> had - bytes);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** CREDIT frames taken so far. */
    long grants() {
        lock.lock();
        try {
            return grants;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the server has granted credit beyond the {@code seen} grants, or {@code millis} pass
     * (it holds the attack), or the connection closes; returns whether credit came.
     */
    boolean awaitGrantAfter(long seen, long millis) throws InterruptedException {
        lock.lock();
        try {
            return awaitLocked(() -> grants != seen, millis);
        } finally {
            lock.unlock();
        }
    }

    /** With the lock held: waits until {@code ready}, for at most {@code millis}; false if it timed out or the connection closed. */
    private boolean awaitLocked(BooleanSupplier ready, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!closed && !ready.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            credited.awaitNanos(left);
        }
        return !closed;
    }

    /** Stream credit left on {@code stream}, without waiting. */
    long streamCredit(int stream) {
        lock.lock();
        try {
            return Math.min(connectionCredit, streamCredit.getOrDefault(stream, initialStreamWindow));
        } finally {
            lock.unlock();
        }
    }

    long statuses(StatusCode code) {
        AtomicLong n = statuses.get(code);
        return n == null ? 0 : n.get();
    }

    Map<StatusCode, AtomicLong> statuses() {
        return statuses;
    }

    Optional<ErrorCode> error() {
        return Optional.ofNullable(error);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        peer.close();
    }
}
