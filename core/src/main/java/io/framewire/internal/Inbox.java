package io.framewire.internal;

import io.framewire.Status;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Inbound items (a call's messages, a subscription's deliveries) on their way to the application,
 * which either pulls them (a blocking {@link #next}) or has them pushed to a listener with demand
 * ({@link #push}, {@link #request}), in order either way. An item is settled (its flow-control credit
 * returned) when the application has it: when {@code next} returns it, or when the listener's
 * {@code onMessage} returns. Ends once: {@link #finish} (no more items: the client's OK status, the
 * server's half-close) after the queued items, or {@link #abort} with a status.
 *
 * @param <T> the item type
 */
final class Inbox<T> {
    /** What a pushed inbox tells, on the serial executor. */
    interface Sink<T> {
        void onMessage(T message);

        void onFinish();

        void onAbort(Status status);
    }

    private final java.util.function.Consumer<T> settle;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private boolean finished;
    private Status aborted;
    private boolean abortAfterQueued;
    private boolean endDelivered;

    // Push mode.
    private SerialExecutor serial;
    private Sink<T> sink;
    private long demand;

    /** @param settle called once per item the application has taken, or that is dropped */
    Inbox(java.util.function.Consumer<T> settle) {
        this.settle = settle;
    }

    // --- reader side ---

    void add(T m) {
        boolean dropped = false;
        boolean start = false;
        lock.lock();
        try {
            if (finished || aborted != null) {
                dropped = true;
            } else {
                queue.add(m);
                changed.signalAll();
                start = pumpLocked();
            }
        } finally {
            lock.unlock();
        }
        if (dropped) {
            settle.accept(m);
        } else if (start) {
            serial.start();
        }
    }

    /** No more messages will come: the end is delivered after those queued. */
    void finish() {
        lock.lock();
        try {
            if (finished || aborted != null) {
                return;
            }
            finished = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        pump();
    }

    /**
     * The call ended with {@code status}: delivered after the queued messages if {@code afterQueued},
     * otherwise at once, dropping them.
     */
    void abort(Status status, boolean afterQueued) {
        java.util.List<T> dropped = java.util.List.of();
        lock.lock();
        try {
            if (finished || aborted != null) {
                return; // already ended: a later cancellation is the call's business, not the inbox's
            }
            aborted = status;
            abortAfterQueued = afterQueued;
            if (!afterQueued) {
                dropped = takeQueuedLocked();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        dropped.forEach(settle);
        pump();
    }

    /** Empties the queue; the caller settles what it returns after releasing the lock. */
    private java.util.List<T> takeQueuedLocked() {
        java.util.List<T> out = new java.util.ArrayList<>(queue);
        queue.clear();
        return out;
    }

    // --- pull mode ---

    /**
     * The next item, waiting for it; null at a normal end.
     *
     * @throws io.framewire.StatusException at an abort
     */
    T next() throws InterruptedException {
        return next(Long.MAX_VALUE);
    }

    /**
     * The next item, waiting for it until {@code deadlineNanos} ({@link System#nanoTime()} based; {@code
     * Long.MAX_VALUE} for ever); null at a normal end or when the deadline passes.
     *
     * @throws io.framewire.StatusException at an abort
     */
    T next(long deadlineNanos) throws InterruptedException {
        T taken = null;
        java.util.List<T> dropped = java.util.List.of();
        io.framewire.Status end = null;
        lock.lock();
        try {
            if (sink != null) {
                throw new IllegalStateException("these items are pushed to a listener");
            }
            while (true) {
                if (aborted != null && (!abortAfterQueued || queue.isEmpty())) {
                    dropped = takeQueuedLocked();
                    end = aborted;
                    break;
                }
                taken = queue.poll();
                if (taken != null || finished) {
                    break;
                }
                if (deadlineNanos == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    changed.awaitNanos(left);
                }
            }
        } finally {
            lock.unlock();
        }
        // Settling may write a CREDIT frame: never while holding the lock the reader adds under.
        dropped.forEach(settle);
        if (end != null) {
            throw end.asException();
        }
        if (taken != null) {
            settle.accept(taken);
        }
        return taken;
    }

    // --- push mode ---

    /** Switches to push mode: messages queued so far and later go to {@code sink} as demand allows. */
    void push(Sink<T> sink, SerialExecutor serial, boolean autoRequest) {
        lock.lock();
        try {
            this.sink = sink;
            this.serial = serial;
            this.demand = autoRequest ? Long.MAX_VALUE : 0;
        } finally {
            lock.unlock();
        }
        pump();
    }

    void request(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("request(n) needs n > 0, got " + n);
        }
        lock.lock();
        try {
            if (sink == null) {
                throw new IllegalStateException("request(n) is for calls whose messages are pushed to a listener");
            }
            demand = demand > Long.MAX_VALUE - n ? Long.MAX_VALUE : demand + n;
        } finally {
            lock.unlock();
        }
        pump();
    }

    /** Hands what demand allows, and the end when its turn comes, to the serial executor. */
    private void pump() {
        boolean start;
        lock.lock();
        try {
            start = pumpLocked();
        } finally {
            lock.unlock();
        }
        if (start) {
            serial.start();
        }
    }

    /**
     * {@link #pump} with the lock held: queues the tasks on the serial executor under the lock, so
     * concurrent pumps (the reader adding, the application requesting) keep the items' order. Returns
     * whether the caller must {@link SerialExecutor#start} it after releasing the lock.
     */
    private boolean pumpLocked() {
        boolean start = false;
        while (sink != null && !endDelivered) {
            Sink<T> s = sink;
            Runnable task;
            if (aborted != null && (!abortAfterQueued || queue.isEmpty())) {
                java.util.List<T> dropped = takeQueuedLocked();
                endDelivered = true;
                Status st = aborted;
                task = () -> {
                    dropped.forEach(settle);
                    s.onAbort(st);
                };
            } else if (!queue.isEmpty() && demand > 0) {
                T m = queue.poll();
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                task = () -> {
                    try {
                        s.onMessage(m);
                    } finally {
                        settle.accept(m);
                    }
                };
            } else if (queue.isEmpty() && finished) {
                endDelivered = true;
                task = s::onFinish;
            } else {
                break;
            }
            start |= serial.enqueue(task);
        }
        return start;
    }
}
