package io.framewire.grpc;

import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in the order they were given, on an underlying executor: gRPC's rule for
 * the callbacks of one call. A task given while another runs waits its turn; nothing runs twice at once.
 *
 * <p>With no underlying executor, the thread that finds the queue idle drains it itself (tasks given
 * meanwhile by other threads, or by a task, run on it after the current one), so a call's events cost
 * no extra thread hop when they arrive one after another. A task that throws is logged and the next
 * one runs.
 */
final class SerializingExecutor implements Executor {
    private static final System.Logger LOG = System.getLogger(SerializingExecutor.class.getName());

    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    /** Drains on {@code executorOrNull}, or on the thread that finds the queue idle when it is null. */
    SerializingExecutor(Executor executorOrNull) {
        this.executor = executorOrNull;
    }

    @Override
    public void execute(Runnable task) {
        queue.add(task);
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        if (executor == null) {
            drain();
            return;
        }
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // The application's executor refused (shut down): run here rather than lose the call's end.
            LOG.log(Level.DEBUG, "callback executor rejected a task; running it on the calling thread", e);
            drain();
        }
    }

    private void drain() {
        do {
            Runnable task;
            while ((task = queue.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    LOG.log(Level.WARNING, "a gRPC callback failed", e);
                }
            }
            draining.set(false);
            // A task added after the poll above and before the flag dropped must not be stranded.
        } while (!queue.isEmpty() && draining.compareAndSet(false, true));
    }
}
