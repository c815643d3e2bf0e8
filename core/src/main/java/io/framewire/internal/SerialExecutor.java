package io.framewire.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs tasks one at a time, in order, on a backing executor: each call's listener events go through
 * one, so a listener never sees two events at once and never on the connection's reader thread.
 */
final class SerialExecutor implements Executor {
    private final Executor backing;
    private final ReentrantLock lock = new ReentrantLock();
    private ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    /** The drainer's own deque, swapped with {@link #tasks}: one turn of the lock takes every task queued. */
    private ArrayDeque<Runnable> taken = new ArrayDeque<>();
    private boolean running;

    SerialExecutor(Executor backing) {
        this.backing = backing;
    }

    @Override
    public void execute(Runnable task) {
        if (enqueue(task)) {
            start();
        }
    }

    /**
     * Queues {@code task} behind those queued before it; returns whether nobody is draining, in which
     * case the caller must call {@link #start} (once it holds no lock of its own, since the backing
     * executor may run the tasks on the calling thread).
     */
    boolean enqueue(Runnable task) {
        lock.lock();
        try {
            tasks.add(task);
            if (running) {
                return false;
            }
            running = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void start() {
        backing.execute(this::drain);
    }

    private void drain() {
        while (true) {
            ArrayDeque<Runnable> batch;
            lock.lock();
            try {
                if (tasks.isEmpty()) {
                    running = false;
                    return;
                }
                batch = tasks;
                tasks = taken;
                taken = batch;
            } finally {
                lock.unlock();
            }
            for (Runnable next; (next = batch.poll()) != null; ) {
                try {
                    next.run();
                } catch (RuntimeException | Error e) {
                    Session.LOG.log(Level.WARNING, "a call listener failed", e);
                }
            }
        }
    }
}
