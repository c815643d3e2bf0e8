package io.framewire.internal;

import io.framewire.Status;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A call's inbound messages on their way to the application, which either pulls them (a blocking
 * {@link #next}) or has them pushed to a listener with demand ({@link #push}, {@link #request}), in
 * order either way. A message's credit is returned when the application has it: when {@code next}
 * returns it, or when the listener's {@code onMessage} returns. Ends once: {@link #finish} (no more
 * messages: the client's OK status, the server's half-close) after the queued messages, or
 * {@link #abort} with a status.
 */
final class Inbox {
    /** What a pushed inbox tells, on the serial executor. */
    interface Sink {
        void onMessage(InboundMessage message);

        void onFinish();

        void onAbort(Status status);
    }

    private final StreamBase stream;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<InboundMessage> queue = new ArrayDeque<>();
    private boolean finished;
    private Status aborted;
    private boolean abortAfterQueued;
    private boolean endDelivered;

    // Push mode.
    private SerialExecutor serial;
    private Sink sink;
    private long demand;

    Inbox(StreamBase stream) {
        this.stream = stream;
    }

    // --- reader side ---

    void add(InboundMessage m) {
        lock.lock();
        try {
            if (finished || aborted != null) {
                stream.consumed(m);
                return;
            }
            queue.add(m);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        pump();
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
        lock.lock();
        try {
            if (finished || aborted != null) {
                return; // already ended: a later cancellation is the call's business, not the inbox's
            }
            aborted = status;
            abortAfterQueued = afterQueued;
            if (!afterQueued) {
                dropQueuedLocked();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        pump();
    }

    private void dropQueuedLocked() {
        for (InboundMessage m : queue) {
            stream.consumed(m);
        }
        queue.clear();
    }

    // --- pull mode ---

    /**
     * The next message, waiting for it; null at a normal end.
     *
     * @throws io.framewire.StatusException at an abort
     */
    InboundMessage next() throws InterruptedException {
        lock.lock();
        try {
            if (sink != null) {
                throw new IllegalStateException("this call's messages are pushed to a listener");
            }
            while (true) {
                if (aborted != null && (!abortAfterQueued || queue.isEmpty())) {
                    dropQueuedLocked();
                    throw aborted.asException();
                }
                InboundMessage m = queue.poll();
                if (m != null) {
                    stream.consumed(m);
                    return m;
                }
                if (finished) {
                    return null;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    // --- push mode ---

    /** Switches to push mode: messages queued so far and later go to {@code sink} as demand allows. */
    void push(Sink sink, SerialExecutor serial, boolean autoRequest) {
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
        while (true) {
            Runnable task;
            lock.lock();
            try {
                if (sink == null || endDelivered) {
                    return;
                }
                Sink s = sink;
                if (aborted != null && (!abortAfterQueued || queue.isEmpty())) {
                    dropQueuedLocked();
                    endDelivered = true;
                    Status st = aborted;
                    task = () -> s.onAbort(st);
                } else if (!queue.isEmpty() && demand > 0) {
                    InboundMessage m = queue.poll();
                    if (demand != Long.MAX_VALUE) {
                        demand--;
                    }
                    task = () -> {
                        try {
                            s.onMessage(m);
                        } finally {
                            stream.consumed(m);
                        }
                    };
                } else if (queue.isEmpty() && finished) {
                    endDelivered = true;
                    task = s::onFinish;
                } else {
                    return;
                }
            } finally {
                lock.unlock();
            }
            serial.execute(task);
        }
    }
}
