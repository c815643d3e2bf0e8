package io.framewire.internal;

import io.framewire.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * <h2>Batches</h2>
 * Under a flood of small items the reader and the application would otherwise meet on this inbox's
 * lock once per item each, and wake each other up nearly as often. So both sides work in batches of
 * up to {@link #BATCH} items, as ZeroMQ's pipes do:
 * <ul>
 *   <li>a connection's reader {@linkplain #add(Object, Wakeups) adds} with its wake-up deferred to the
 *       end of what one socket read brought (or {@link #BATCH} items, whichever comes first);</li>
 *   <li>a puller takes every queued item (no more than its flow control let in: a subscription's
 *       prefetch, a stream's window) in one turn of the lock and hands them out one by one from a private buffer, settling them together once it
 *       has handed out the last of them (or {@link #BATCH}), so no item is settled before the application
 *       has it;</li>
 *   <li>a pushed inbox hands up to {@link #BATCH} items to the listener in one task, settling them
 *       together after the listener has had them all.</li>
 * </ul>
 * The lock is only taken again when the private buffer is empty. An abort that drops the queued items
 * drops the private buffer's too: they were never handed out.
 *
 * @param <T> the item type
 */
final class Inbox<T> implements Wakeups.Owed {
    /** The most items a reader queues before it wakes the consumer, and a consumer takes in one turn. */
    static final int BATCH = 64;

    /** Settles items: their flow-control credit goes back once the application has them. */
    interface Settler<T> {
        void settle(T item);

        /** Settles several, in order; one by one unless the implementation can do better. */
        default void settleAll(List<T> items) {
            for (T item : items) {
                settle(item);
            }
        }
    }

    /** What a pushed inbox tells, on the serial executor. */
    interface Sink<T> {
        void onMessage(T message);

        void onFinish();

        void onAbort(Status status);
    }

    private final Settler<T> settle;
    private final ReentrantLock lock;
    private final Condition changed;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    private boolean finished;
    private Status aborted;
    private boolean abortAfterQueued;
    private boolean endDelivered;
    /** Items were added whose wake-up a reader's {@link Wakeups} owes. */
    private boolean wakeOwed;
    /** Set (under the lock) by an abort that drops the queued items: the puller's buffer goes too. */
    private volatile boolean droppedAll;

    // Pull mode: the puller's private buffer, guarded by pullLock (pullers only; nearly always free).
    private final ReentrantLock pullLock = new ReentrantLock();
    private final ArrayDeque<T> pulled = new ArrayDeque<>();
    private final ArrayList<T> handedOut = new ArrayList<>();

    // Push mode.
    private SerialExecutor serial;
    private Sink<T> sink;
    private long demand;

    /** @param settle called once per item the application has taken, or that is dropped */
    Inbox(Settler<T> settle) {
        this(settle, new ReentrantLock());
    }

    /**
     * An inbox guarded by {@code lock}, which its owner may share for state of its own, so a reader
     * takes one lock per item ({@link #addLocked}); {@code settle} is never called with it held.
     */
    Inbox(Settler<T> settle, ReentrantLock lock) {
        this.settle = settle;
        this.lock = lock;
        this.changed = lock.newCondition();
    }

    // --- reader side ---

    void add(T m) {
        add(m, null);
    }

    /**
     * Queues {@code m}. With {@code wakeups} (the calling reader's), a waiting puller or the listener's
     * executor is woken when the reader flushes them rather than now.
     */
    void add(T m, Wakeups wakeups) {
        if (wakeups != null) {
            int outcome;
            lock.lock();
            try {
                outcome = addLocked(m);
            } finally {
                lock.unlock();
            }
            afterAdd(m, outcome, wakeups);
            return;
        }
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
            settle.settle(m);
        } else if (start) {
            serial.start();
        }
    }

    /** What {@link #addLocked} did. */
    static final int DROPPED = -1;
    static final int QUEUED = 0;
    static final int QUEUED_FIRST_OWED = 1;

    /**
     * The locked half of {@link #add(Object, Wakeups)}, for an owner that holds the shared lock anyway:
     * queues {@code m} with its wake-up deferred. After unlocking, the caller must pass the outcome to
     * {@link #afterAdd}.
     */
    int addLocked(T m) {
        if (finished || aborted != null) {
            return DROPPED;
        }
        queue.add(m);
        if (!wakeOwed) {
            wakeOwed = true;
            return QUEUED_FIRST_OWED;
        }
        return QUEUED;
    }

    /** The unlocked half: settles a dropped item, or counts a queued one in the reader's {@code wakeups}. */
    void afterAdd(T m, int outcome, Wakeups wakeups) {
        if (outcome == DROPPED) {
            settle.settle(m);
        } else {
            wakeups.added(this, outcome == QUEUED_FIRST_OWED);
        }
    }

    /** Wakes a waiting puller, or hands what demand allows to the listener: what {@link Wakeups} owed. */
    @Override
    public void pay() {
        boolean start;
        lock.lock();
        try {
            wakeOwed = false;
            changed.signalAll();
            start = pumpLocked();
        } finally {
            lock.unlock();
        }
        if (start) {
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
        List<T> dropped = List.of();
        lock.lock();
        try {
            if (finished || aborted != null) {
                return; // already ended: a later cancellation is the call's business, not the inbox's
            }
            aborted = status;
            abortAfterQueued = afterQueued;
            if (!afterQueued) {
                dropped = takeQueuedLocked();
                droppedAll = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        settleAll(dropped);
        pump();
    }

    /** Empties the queue; the caller settles what it returns after releasing the lock. */
    private List<T> takeQueuedLocked() {
        List<T> out = new ArrayList<>(queue);
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
        pullLock.lock();
        try {
            if (!pulled.isEmpty()) {
                if (!droppedAll) {
                    return handOut();
                }
                // Aborted with the queued items dropped: what this puller took but did not hand out goes
                // too, settled with those it did hand out.
                handedOut.addAll(pulled);
                pulled.clear();
                settleHandedOut();
            }
            return takeAndHandOut(deadlineNanos);
        } finally {
            pullLock.unlock();
        }
    }

    private void settleAll(List<T> items) {
        if (!items.isEmpty()) {
            settle.settleAll(items);
        }
    }

    /** The next item of the private buffer; settles those handed out once it is empty, or every {@link #BATCH}. */
    private T handOut() {
        T item = pulled.poll();
        handedOut.add(item);
        if (pulled.isEmpty() || handedOut.size() >= BATCH) {
            settleHandedOut();
        }
        return item;
    }

    private void settleHandedOut() {
        try {
            settle.settleAll(handedOut);
        } finally {
            handedOut.clear();
        }
    }

    /** With the private buffer empty: waits for items and takes a batch of them, or meets the end. */
    private T takeAndHandOut(long deadlineNanos) throws InterruptedException {
        List<T> dropped = List.of();
        Status end = null;
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
                if (!queue.isEmpty()) {
                    // Everything queued, with one turn of the lock the reader adds under: each turn the
                    // puller takes is one the reader may have to wait for and then wake it from.
                    for (T item; (item = queue.poll()) != null; ) {
                        pulled.add(item);
                    }
                    break;
                }
                if (finished) {
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
        settleAll(dropped);
        if (end != null) {
            throw end.asException();
        }
        return pulled.isEmpty() ? null : handOut();
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
                List<T> dropped = takeQueuedLocked();
                endDelivered = true;
                Status st = aborted;
                task = () -> {
                    settleAll(dropped);
                    s.onAbort(st);
                };
            } else if (!queue.isEmpty() && demand > 0) {
                int n = (int) Math.min(Math.min(queue.size(), BATCH), demand);
                if (demand != Long.MAX_VALUE) {
                    demand -= n;
                }
                List<T> batch = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    batch.add(queue.poll());
                }
                task = () -> deliver(s, batch);
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

    /** A pushed batch: each item to the listener (one failing does not cost the others), then all settled. */
    private void deliver(Sink<T> s, List<T> batch) {
        try {
            for (T m : batch) {
                try {
                    s.onMessage(m);
                } catch (RuntimeException | Error e) {
                    Session.LOG.log(System.Logger.Level.WARNING, "a call listener failed", e);
                }
            }
        } finally {
            settle.settleAll(batch);
        }
    }
}
